// The action's main step: make sure portalloc is there, lease the ports
// for the job, and publish them as outputs.  The leases are owned by the
// process that started this step (the runner's job worker, which lives
// as long as the job), carry a tag, and expire after `ttl` in case the
// post step never runs.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const path = require('path');
const lib = require('./lib');

function install() {
  const root = process.env.GITHUB_ACTION_PATH || path.join(__dirname, '..');
  const setup = path.join(root, 'ci', 'setup.sh');
  const asRoot = process.getuid && process.getuid() === 0;
  const argv = asRoot ? ['bash', setup] : ['sudo', '-n', '-E', 'bash', setup];
  process.stdout.write(`portalloc is not on PATH: running ${argv.join(' ')}\n`);
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', cwd: root });
  if (r.status !== 0) throw new Error(`${setup} failed (exit ${r.status})`);
}

function configArgs() {
  const config = lib.input('config', '');
  return config ? ['-c', config] : [];
}

function main() {
  if (!lib.which('portalloc')) {
    if (lib.input('install', 'auto') !== 'auto')
      throw new Error('portalloc is not on PATH and install is "never"');
    install();
  }
  const tag = lib.input('tag', '') || ['gha', process.env.GITHUB_RUN_ID || 'local',
    process.env.GITHUB_JOB || 'job', crypto.randomBytes(4).toString('hex')].join('-');
  const args = ['get', ...configArgs(), '-n', lib.input('count', '1'),
    '--owner', String(process.ppid), '--tag', tag,
    '--ttl', lib.input('ttl', '6h'), '--format', 'json'];
  const block = lib.input('block', '');
  if (block) args.push('-b', block);
  const leases = JSON.parse(lib.portalloc(args));
  // Before the outputs, so that the post step releases whatever was leased.
  lib.append('GITHUB_STATE', 'tag', tag);
  lib.append('GITHUB_STATE', 'config', lib.input('config', ''));
  const ports = leases.map((l) => l.port);
  lib.append('GITHUB_OUTPUT', 'ports', ports.join(' '));
  ports.forEach((p, i) => lib.append('GITHUB_OUTPUT', `port${i}`, String(p)));
  lib.append('GITHUB_OUTPUT', 'json', JSON.stringify(leases));
  lib.append('GITHUB_OUTPUT', 'tag', tag);
  process.stdout.write(`portalloc: leased ${ports.join(' ')} (tag ${tag})\n`);
}

try {
  main();
} catch (err) {
  lib.fail(err);
}
