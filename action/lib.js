// Shared by main.js and post.js: inputs, outputs, state and running
// portalloc, with the runner's file protocol and no dependencies.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function input(name, def) {
  const v = process.env['INPUT_' + name.replace(/ /g, '_').toUpperCase()];
  return v === undefined || v === '' ? def : v.trim();
}

// Appends name=value to the file the runner names (GITHUB_OUTPUT,
// GITHUB_STATE); values here are single lines.
function append(fileVar, name, value) {
  const file = process.env[fileVar];
  if (!file) throw new Error(`${fileVar} is not set: not run by a runner?`);
  if (/[\r\n]/.test(value)) throw new Error(`${name}: value has a newline`);
  fs.appendFileSync(file, `${name}=${value}\n`);
}

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch (e) { /* not here */ }
  }
  return null;
}

// Runs portalloc; throws with its message and exit code on failure.
function portalloc(args) {
  const exe = which('portalloc');
  if (!exe) throw new Error('portalloc is not on PATH');
  const r = spawnSync(exe, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const e = new Error(`portalloc ${args[0]} exited ${r.status}: ` +
      r.stderr.trim());
    e.exitCode = r.status;
    throw e;
  }
  return r.stdout;
}

function fail(err) {
  process.stdout.write(`::error::${err.message}\n`);
  process.exitCode = 1;
}

module.exports = { input, append, which, portalloc, fail };
