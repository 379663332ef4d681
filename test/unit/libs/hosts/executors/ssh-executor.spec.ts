import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshExecutor, sshCommandLine } from '@app/hosts/executors/ssh-executor';

/** Shells the remote side may use: /bin/sh always, bash when installed here. */
const SHELLS = ['/bin/sh', '/bin/bash'].filter((s) => existsSync(s));

/** Runs `printf '%s\0' BEGIN ...args END` as the SSH line through a real shell and returns what printf received. */
function roundTrip(args: string[], shell = '/bin/sh'): string[] {
  const line = sshCommandLine(['printf', '%s\\0', '<BEGIN>', ...args, '<END>']);
  const out = execFileSync(shell, ['-c', line], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  const parts = out.split('\0');
  assert.equal(parts.pop(), '', 'output ends with NUL');
  assert.equal(parts.shift(), '<BEGIN>');
  assert.equal(parts.pop(), '<END>');
  return parts;
}

const HOSTILE: [string, string][] = [
  ['; rm -rf /', "'; rm -rf /'"],
  ['$(id)', "'$(id)'"],
  ['`id`', "'`id`'"],
  ["'", "''\\'''"],
  ["it's", "'it'\\''s'"],
  ["''", "''\\'''\\'''"],
  ["'; id; '", "''\\''; id; '\\'''"],
  ['"', `'"'`],
  ['"$HOME"', `'"$HOME"'`],
  ['a\nb', "'a\nb'"],
  ['\n', "'\n'"],
  ['*', "'*'"],
  ['/etc/*', "'/etc/*'"],
  ['&&', "'&&'"],
  ['a && id', "'a && id'"],
  ['a b', "'a b'"],
  [' ', "' '"],
  ['\t', "'\t'"],
  ['|', "'|'"],
  ['>', "'>'"],
  ['<(id)', "'<(id)'"],
  ['${IFS}', "'${IFS}'"],
  ['~', "'~'"],
  ['#', "'#'"],
  ['!', "'!'"],
  ['\\', "'\\'"],
  ["\\'", "'\\'\\'''"],
  ['a\\', "'a\\'"],
  ['{a,b}', "'{a,b}'"],
  ['?', "'?'"],
  ['%s\\0', "'%s\\0'"],
  ['é€', "'é€'"],
];

describe('sshCommandLine: exact quoting', () => {
  for (const [arg, quoted] of HOSTILE) {
    test(`quotes ${JSON.stringify(arg)}`, () => {
      assert.equal(sshCommandLine(['printf', arg]), `printf ${quoted}`);
    });
  }

  test('safe words stay bare, arguments are joined by one space', () => {
    assert.equal(sshCommandLine(['iscsiadm', '-m', 'session', '-P', '3']), 'iscsiadm -m session -P 3');
    assert.equal(sshCommandLine(['lvremove', '-y', 'dbaas-dev1/vol_a']), 'lvremove -y dbaas-dev1/vol_a');
  });

  test('a whole hostile command line', () => {
    assert.equal(
      sshCommandLine(['echo', '; rm -rf /', '$(id)', '`id`', "'", '"', 'a\nb', '*', '&&', 'a b']),
      `echo '; rm -rf /' '$(id)' '\`id\`' ''\\''' '"' 'a\nb' '*' '&&' 'a b'`,
    );
  });

  test('a hostile program name is quoted too', () => {
    assert.equal(sshCommandLine(['rm -rf /']), "'rm -rf /'");
    const res = spawnSync('/bin/sh', ['-c', sshCommandLine(['printf;id'])], { encoding: 'utf8' });
    assert.equal(res.status, 127); // "command not found": `id` did not run
    assert.doesNotMatch(res.stdout, /uid=/);
  });
});

describe('sshCommandLine: round trip through a real shell', () => {
  for (const shell of SHELLS) {
    test(`${shell}: every hostile argument arrives unchanged`, () => {
      const args = HOSTILE.map(([a]) => a);
      assert.deepEqual(roundTrip(args, shell), args);
    });

    test(`${shell}: all strings of length 1..4 over ' \\ " space $ a`, () => {
      const alphabet = ["'", '\\', '"', ' ', '$', 'a'];
      const all: string[] = [];
      let layer = [''];
      for (let n = 1; n <= 4; n++) {
        layer = layer.flatMap((p) => alphabet.map((c) => p + c));
        all.push(...layer);
      }
      assert.equal(all.length, 6 + 36 + 216 + 1296);
      assert.deepEqual(roundTrip(all, shell), all);
    });
  }

  test('nothing runs: hostile arguments leave no side effect', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssh-quoting-'));
    try {
      const f = (n: string) => join(dir, n);
      const args = [
        `; touch ${f('a')}`,
        `$(touch ${f('b')})`,
        `\`touch ${f('c')}\``,
        `' ; touch ${f('d')}; '`,
        `" ; touch ${f('e')}; "`,
        `\n touch ${f('g')}`,
        `&& touch ${f('h')}`,
        `> ${f('i')}`,
      ];
      assert.deepEqual(roundTrip(args), args);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // shell-escape 0.2.0 turns '' into nothing (it strips a leading "''"), so an empty argument disappears
  // and the following ones shift: `printf '%s\0' <BEGIN>  <END>`.
  test('an empty argument survives', () => {
    assert.deepEqual(roundTrip(['', 'x', '']), ['', 'x', '']);
  });
});

describe('sshCommandLine: refused input', () => {
  test('empty argv', () => {
    assert.throws(() => sshCommandLine([]), /empty command/);
  });

  test('NUL bytes', () => {
    assert.throws(() => sshCommandLine(['printf', 'a\0b']), /NUL byte/);
    assert.throws(() => sshCommandLine(['\0']), /NUL byte/);
    assert.throws(() => sshCommandLine(['ls', 'ok', '\0rm']), /NUL byte/);
  });

  test('non-strings', () => {
    assert.throws(() => sshCommandLine(['ls', 1 as unknown as string]), /must be strings/);
    assert.throws(() => sshCommandLine([undefined as unknown as string]), /must be strings/);
  });
});

describe('SshExecutor: the logged line', () => {
  // An unparsable key makes run() fail before any network access, after the line has been recorded.
  const executor = () =>
    new SshExecutor({ host: '127.0.0.1', port: 1, username: 'x', privateKey: 'not a key', label: 'test' });

  test('is the quoted line with the secrets masked', async () => {
    const ex = executor();
    await assert.rejects(ex.run(['iscsiadm', '-v', 'pw-123', 'a b'], { secrets: ['pw-123'] }));
    assert.deepEqual(ex.sent, ["iscsiadm -v '***' 'a b'"]);
  });

  // Masking happens per argument, before quoting respells a secret that holds a quote.
  test('masks a secret containing a single quote', async () => {
    const ex = executor();
    await assert.rejects(ex.run(['iscsiadm', '-v', "pa'ss"], { secrets: ["pa'ss"] }));
    assert.ok(!ex.sent[0].includes('pa'), ex.sent[0]);
  });
});
