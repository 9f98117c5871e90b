// Preloaded into a CLI run (NODE_OPTIONS=--require) by the memory test: records the process's
// peak resident set size, in kilobytes, into $TENANTADM_PEAK_RSS_FILE when it exits.
'use strict';
process.on('exit', () => {
  const file = process.env.TENANTADM_PEAK_RSS_FILE;
  if (file) require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS));
});
