-- conn 1 query
SELECT "STREAM", "CURSOR" FROM "REVSYNC"."SYNC_STATE" WHERE "SOURCE" = ?;
-- args: "src"
