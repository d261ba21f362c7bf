// The action's post step: release the leases the main step made, by
// their tag.  Nothing to do when the main step leased nothing.
'use strict';
const lib = require('./lib');

try {
  const tag = process.env.STATE_tag || '';
  if (tag) {
    const config = process.env.STATE_config || '';
    lib.portalloc(['release', ...(config ? ['-c', config] : []),
      '--tag', tag]);
    process.stdout.write(`portalloc: released the leases tagged ${tag}\n`);
  }
} catch (err) {
  lib.fail(err);
}
