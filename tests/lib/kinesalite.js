// kinesalite.js PORTFILE [WATCH-PID]: run kinesalite (scripts/node) on a
// free 127.0.0.1 port and write the port to PORTFILE once it listens. Streams
// become ACTIVE at once (no create/update delay) and an account may hold 50
// shards. With WATCH-PID, exit when that process is gone, so a killed test
// run leaves nothing behind. Used by tests/lib/streams.bash.
'use strict';
const fs = require('fs');
const path = require('path');
const top = path.resolve(__dirname, '..', '..');
const kinesalite = require(path.join(top, 'scripts', 'node', 'node_modules', 'kinesalite'));

const [portfile, watch] = process.argv.slice(2);
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0,
	shardLimit: 50 });
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portfile + '.tmp', String(server.address().port));
	fs.renameSync(portfile + '.tmp', portfile);
});
if (watch) {
	setInterval(() => {
		try {
			process.kill(Number(watch), 0);
		} catch (e) {
			if (e.code === 'ESRCH') process.exit(0);
		}
	}, 500).unref();
}
