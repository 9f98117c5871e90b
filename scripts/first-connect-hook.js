// Preloaded by bench-startup.js (node -r): records, on stderr, how long after the process
// started it first opened a TCP connection, i.e. everything a command costs before the database.
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
