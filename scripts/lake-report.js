// lake-report.js DIR: read a downloaded ddblake lake (gzip NDJSON under Hive
// partition folders table_name=.../dt=...) with DuckDB and print what a user
// checks first: rows per partition and operation, the current state of the
// items (latest change per key by _ddb_ts; a REMOVE means deleted), and a
// few items in full. Used by scripts/demo.sh; needs scripts/setup.sh's node
// packages. Exit 1 on any DuckDB error.
'use strict';
const path = require('path');
const top = path.resolve(__dirname, '..');
const { DuckDBInstance } = require(path.join(top, 'scripts', 'node',
    'node_modules', '@duckdb', 'node-api'));

const dir = process.argv[2];
if (!dir) {
	console.error('usage: node scripts/lake-report.js LAKE_DIR');
	process.exit(2);
}
const glob = path.join(dir, '**', '*.json.gz').replace(/'/g, "''");

// Every object, hive partitions as columns; union_by_name because tables
// have different attributes. The item key: pk (plus sk) or id, whatever
// the table uses; the change time as a real timestamp.
const lake = `
create view lake as
select *, _ddb_ts::timestamptz as ts,
       coalesce(pk || coalesce(' / ' || sk, ''), id::varchar) as item
from read_json_auto('${glob}', hive_partitioning = true,
                    union_by_name = true)`;

const queries = [
	['Rows per partition and operation', `
select coalesce(table_name, '(none)') as table_name, dt,
       count(*) filter (where _ddb_op = 'INSERT') as inserts,
       count(*) filter (where _ddb_op = 'MODIFY') as modifies,
       count(*) filter (where _ddb_op = 'REMOVE') as removes,
       count(*) filter (where _ddb_ttl) as ttl_expiries,
       count(*) as total
from lake group by all order by all`],
	['Current state per table (latest change per item)', `
with latest as (
  select * from lake where item is not null
  qualify row_number() over (partition by table_name, item
                             order by ts desc, _ddb_seq desc) = 1)
select table_name,
       count(*) filter (where _ddb_op <> 'REMOVE') as live_items,
       count(*) filter (where _ddb_op = 'REMOVE') as deleted_items,
       max(ts) as last_change
from latest group by all order by all`],
	['A few items now', `
with hist as (
  select *, count(*) over (partition by table_name, item) as changes
  from lake where item is not null),
latest as (
  select * from hist
  qualify row_number() over (partition by table_name, item
                             order by ts desc, _ddb_seq desc) = 1),
pick as (
  select * from latest where table_name in ('blog-table', 'Example-Table')
  union all by name
  (select * from latest where table_name = 'users' and _ddb_op <> 'REMOVE'
   order by changes desc, item limit 2)
  union all by name
  (select * from latest where table_name = 'users' and _ddb_op = 'REMOVE'
   order by changes desc, item limit 1))
select table_name, item, changes, _ddb_op as last_op,
       strftime(ts, '%Y-%m-%d %H:%M:%S') as changed_at,
       case when _ddb_op = 'REMOVE' and _ddb_ttl then 'deleted (TTL expiry)'
            when _ddb_op = 'REMOVE' then 'deleted'
            else coalesce(name || ', ' || Designation,
                          email || ', tier ' || tier, '') end as state
from pick order by table_name, item`],
	['Numbers (38-digit balances read as DOUBLE here)', `
select count(*) as order_rows, round(sum(totalAmount), 2) as sum_total_amount,
       (select balance from lake where balance is not null
        order by abs(balance) desc limit 1) as largest_balance
from lake where table_name = 'orders'`],
];

function show(title, res) {
	const names = res.columnNames();
	const rows = res.getRows().map((r) => r.map((v) =>
	    v === null ? '' : String(v)));
	const w = names.map((n, i) => Math.max(n.length,
	    ...rows.map((r) => r[i].length)));
	const num = names.map((n, i) => n !== 'item' &&
	    rows.every((r) => /^-?[0-9.e+]*$/.test(r[i])));
	const line = (cells) => cells.map((c, i) =>
	    num[i] ? c.padStart(w[i]) : c.padEnd(w[i]))
	    .join('  ').trimEnd();
	console.log(`\n${title}:`);
	console.log('  ' + line(names));
	for (const r of rows)
		console.log('  ' + line(r));
}

(async () => {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	await con.run(lake);
	for (const [title, sql] of queries)
		show(title, await con.runAndReadAll(sql));
})().catch((e) => {
	console.error('lake-report: ' + e.message);
	process.exit(1);
});
