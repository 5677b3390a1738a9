# ddb-flatten.jq: the jq baseline of `make bench` (jq -c -f ddb-flatten.jq).
# Unmarshals a Kinesis-for-DynamoDB record's image (NewImage, or OldImage
# for REMOVE), joins nested map keys with "_", keeps lists as arrays and
# sets as arrays, and adds the operation, table, event id and change time.
#
# It does what the widely copied "decode_ddb" answer (StackOverflow 28641626)
# does: type tag to plain value, numbers through tonumber (a double in
# jq 1.6, so 38-digit numbers are rounded), sets as arrays, B left as base64.
# It is written with if/elif instead of that answer's chain of `//`
# alternatives over single-key selects, which is faster, so the ratio
# ddbflat/jq this baseline gives is on the conservative side.

def unddb:
  if has("S") then .S
  elif has("N") then .N | tonumber
  elif has("BOOL") then .BOOL
  elif has("NULL") then null
  elif has("M") then .M | map_values(unddb)
  elif has("L") then .L | map(unddb)
  elif has("SS") then .SS
  elif has("NS") then .NS | map(tonumber)
  elif has("BS") then .BS
  elif has("B") then .B
  else error("unknown DynamoDB type: \(keys)") end;

# Non-empty maps merge into the parent as parent_child; the rest stay.
def flat:
  reduce to_entries[] as $e ({};
    if ($e.value | type) == "object" and ($e.value | length) > 0
    then . + ($e.value | flat | with_entries(.key = $e.key + "_" + .key))
    else .[$e.key] = $e.value end);

.dynamodb as $d
| (if .dynamodb.ApproximateCreationDateTimePrecision == "MICROSECOND"
   then 1000000 else 1000 end) as $unit
| {_ddb_op: .eventName, _ddb_table: .tableName, _ddb_event_id: .eventID,
   _ddb_ts: ($d.ApproximateCreationDateTime / $unit | floor | todate)}
  + (if .eventName == "REMOVE" then $d.OldImage else $d.NewImage end
     | map_values(unddb) | flat)
