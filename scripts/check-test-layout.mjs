// `npm run check:test-layout` (part of `npm run lint`): test/unit mirrors what it tests, so that the test of a file is
// found by its path. Fails, naming each, on a spec that answers to no source file or folder.
//
//   test/unit/libs/<lib>/<dir>/<name>.spec.ts   tests libs/<lib>/src/<dir>/<name>.ts (or .tsx)
//   test/unit/apps/<app>/<dir>/<name>.spec.ts   tests apps/<app>/src/<dir>/<name>.ts (or .tsx)
//   test/unit/ansible/<dir>/<name>.spec.ts      tests ansible/<dir>/<name> or <name>.<ext> (a playbook, a script)
//   a spec named after a folder tests that folder as a whole (test/unit/libs/storage/drbd.spec.ts: libs/storage/src/drbd/;
//   test/unit/libs/storage.spec.ts: all of libs/storage/src)
//   <name>.<aspect>.spec.ts: one more spec of the same file or folder, on one aspect of it
//     (failover/takeover.service.safety.spec.ts, databases/runtime.limits.spec.ts)
//   test/unit/support/: what specs share (fixture loaders, recorded outputs); no spec there.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const UNIT = join(root, 'test/unit');

// Specs that test no single file or folder, each with why. Keep it short: a new entry needs a reason a reviewer accepts.
const EXCEPTIONS = new Map([
  // ['test/unit/<path>.spec.ts', 'why it cannot mirror a source path'],
]);

/** Every file under dir, as paths relative to the repository. */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : [relative(root, p)];
  });
}

const isDir = (p) => existsSync(p) && statSync(p).isDirectory();
const isFile = (p) => existsSync(p) && statSync(p).isFile();

/** The source path a spec stem stands for (without extension), or null when its top folder mirrors nothing. */
function sourceOf(stem) {
  const [top, name, ...rest] = stem.split('/');
  if ((top === 'libs' || top === 'apps') && name) return join(root, top, name, 'src', ...rest);
  if (top === 'ansible') return join(root, stem);
  return null;
}

function exists(source, ansible) {
  if (isDir(source) || isFile(`${source}.ts`) || isFile(`${source}.tsx`)) return true;
  // Ansible's files keep their own extensions (.yml, .j2) or none (a handler script).
  if (!ansible || !isDir(dirname(source))) return false;
  const want = basename(source);
  return readdirSync(dirname(source)).some((f) => f === want || f.replace(/\.[^.]+$/, '') === want);
}

function problem(spec) {
  const stem = relative(UNIT, spec).replace(/\.spec\.ts$/, '');
  const source = sourceOf(stem);
  if (!source) return 'not under test/unit/libs, test/unit/apps or test/unit/ansible';
  const ansible = stem.startsWith('ansible/');
  if (exists(source, ansible)) return null;
  // <name>.<aspect>: the aspect dropped, the rest must be a source file or folder.
  const aspect = /^(.+)\.[a-z0-9-]+$/.exec(basename(source));
  if (aspect && exists(join(dirname(source), aspect[1]), ansible)) return null;
  return `no source file or folder ${relative(root, source)}(.ts|/)`;
}

const problems = [];
for (const file of walk(UNIT)) {
  const inSupport = file.startsWith('test/unit/support/');
  if (!file.endsWith('.spec.ts')) {
    if (!inSupport) problems.push(`${file}: not a spec: shared helpers and fixtures go under test/unit/support/`);
    continue;
  }
  if (EXCEPTIONS.has(file)) continue;
  const why = inSupport ? 'a spec under test/unit/support/' : problem(join(root, file));
  if (why) problems.push(`${file}: ${why}`);
}
for (const file of EXCEPTIONS.keys())
  if (!isFile(join(root, file))) problems.push(`${file}: listed as an exception but gone`);

if (problems.length) {
  console.error(`test/unit does not mirror the sources (see scripts/check-test-layout.mjs for the rule):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
