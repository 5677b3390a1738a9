// duckq.js SQL: run one DuckDB query (in memory) and print its rows as
// tab-separated lines. Used by the bats tests to read batches the way a
// data-lake reader would. Needs scripts/setup.sh's node packages.
'use strict';
const path = require('path');
const top = path.resolve(__dirname, '..', '..');
const { DuckDBInstance } = require(path.join(top, 'scripts', 'node',
    'node_modules', '@duckdb', 'node-api'));

(async () => {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const res = await con.runAndReadAll(process.argv[2]);
	for (const row of res.getRows())
		console.log(row.map((v) => String(v)).join('\t'));
})().catch((e) => {
	console.error('duckq: ' + e.message);
	process.exit(1);
});
