import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';

/**
 * The database hosts' playbook provides the programs the storage drivers run there. Read with Python's YAML (the
 * one Ansible itself uses, so no second parser in the repository) and checked by `ansible-playbook --syntax-check`
 * when Ansible is installed.
 */
const PLAYBOOKS = resolve(__dirname, '../../../ansible/playbooks');
const DB_HOST = join(PLAYBOOKS, 'db-host.yml');

interface Task {
  name?: string;
  'ansible.builtin.apt'?: { name?: string | string[]; state?: string };
  'ansible.builtin.shell'?: string;
}

const python = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
const hasYaml = python.status === 0;
const hasAnsible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

function loadPlaybook(path: string): { tasks: Task[] }[] {
  const r = spawnSync(
    'python3',
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { tasks: Task[] }[];
}

const tmp = mkdtempSync(join(tmpdir(), 'ansible-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('ansible/playbooks/db-host.yml', () => {
  test('installs the project-quota tools the directory driver runs (setquota, chattr)', { skip: !hasYaml }, () => {
    const tasks = loadPlaybook(DB_HOST).flatMap((play) => play.tasks);
    const apt = tasks.map((t) => t['ansible.builtin.apt']).filter((a) => a !== undefined);
    const packages = apt.flatMap((a) => (Array.isArray(a.name) ? a.name : a.name ? [a.name] : []));
    // setquota -P comes from Debian's `quota`; chattr -p/+P from e2fsprogs.
    for (const p of ['quota', 'e2fsprogs']) assert.ok(packages.includes(p), `${p} is not installed: ${packages}`);
    // Idempotent: present, never latest (a second run changes nothing).
    for (const a of apt) assert.equal(a.state, 'present');
    const checks = tasks.find((t) => t.name === 'Checks')?.['ansible.builtin.shell'] ?? '';
    assert.match(checks, /command -v setquota/);
  });

  test('every playbook passes ansible-playbook --syntax-check', { skip: !hasAnsible }, () => {
    const inventory = join(tmp, 'inventory.ini');
    writeFileSync(inventory, '[db_hosts]\nh1\n[storage_servers]\ns1\n[control_plane]\nc1\n');
    for (const play of ['db-host.yml', 'storage-server.yml', 'control-plane.yml']) {
      const r = spawnSync('ansible-playbook', ['--syntax-check', '-i', inventory, join(PLAYBOOKS, play)], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_CONFIG: resolve(PLAYBOOKS, '../ansible.cfg'), ANSIBLE_NOCOLOR: '1' },
      });
      assert.equal(r.status, 0, `${play}: ${r.stdout}${r.stderr}`);
    }
  });
});
