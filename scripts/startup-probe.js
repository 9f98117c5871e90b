// Preloaded by bench-startup.js (node -r) into every process it times. Reports on stderr:
// - when the process first opened a TCP connection (ms after it started): what a command costs
//   before its first query;
// - at exit, the CPU time it used (user + system): steadier than wall time on a busy machine.
'use strict';
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const connect = net.Socket.prototype.connect;
let reported = false;
net.Socket.prototype.connect = function firstConnect(...args) {
  if (!reported) {
    reported = true;
    process.stderr.write(`first-connect-ms ${performance.now().toFixed(2)}\n`);
  }
  return connect.apply(this, args);
};
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`cpu-ms ${((user + system) / 1000).toFixed(2)}\n`);
});
