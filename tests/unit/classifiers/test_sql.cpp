// Unit tests for classify_sql() (classifiers/sql*.cpp): every §17 rule on
// both paths (libpg_query for PostgreSQL, the tokenizer for the other
// dialects), comment and literal traps, batches, DO bodies, EXPLAIN
// ANALYZE, readings that depend on backslash escapes, and the tokenizer.
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classifiers/sql.h"
#include "classifiers/sql_lexer.h"

using namespace askfirst::classifiers;

namespace {

struct SqlCase {
    const char* behaviour;
    SqlDialect dialect;
    std::string text;
    Tier tier;
    std::string operation;  // exact, without the "SQL " prefix ("" = not checked)
    std::string flag = {};  // a flag that must be present
};

constexpr SqlDialect pg = SqlDialect::postgres;
constexpr SqlDialect my = SqlDialect::mysql;
constexpr SqlDialect ch = SqlDialect::clickhouse;
constexpr SqlDialect lite = SqlDialect::sqlite;
constexpr SqlDialect gen = SqlDialect::generic;

void check_cases(const std::vector<SqlCase>& cases) {
    for (const SqlCase& c : cases) {
        INFO(std::string(c.behaviour) << " | " << c.text);
        const SqlVerdict got = classify_sql(c.text, c.dialect);
        CHECK(tier_name(got.tier) == tier_name(c.tier));
        if (!c.operation.empty()) CHECK(got.operation == "SQL " + c.operation);
        if (!c.flag.empty()) CHECK(std::count(got.flags.begin(), got.flags.end(), c.flag) == 1);
    }
}

}  // namespace

TEST_CASE("sql: read statements (§17 Read)") {
    check_cases({
        {"plain SELECT reads", pg, "SELECT * FROM t", Tier::read, "SELECT"},
        {"VALUES reads", pg, "VALUES (1), (2)", Tier::read, "VALUES"},
        {"TABLE reads", pg, "TABLE t", Tier::read, "TABLE"},
        {"SHOW reads", pg, "SHOW search_path", Tier::read, "SHOW"},
        {"WITH ... SELECT without DML reads", pg, "WITH x AS (SELECT 1) SELECT * FROM x", Tier::read, "WITH ... SELECT"},
        {"FOR UPDATE is a lock, not a write", pg, "SELECT * FROM t FOR UPDATE", Tier::read, "SELECT"},
        {"cursor commands read", pg, "FETCH 10 FROM c", Tier::read, "FETCH"},
        {"LISTEN reads", pg, "LISTEN chan", Tier::read, "LISTEN"},
        {"transaction control reads", pg, "BEGIN", Tier::read, "BEGIN"},
        {"SAVEPOINT reads", pg, "SAVEPOINT a", Tier::read, "SAVEPOINT"},
        {"SET is session state", pg, "SET search_path TO x", Tier::read, "SET"},
        {"DISCARD is session state", pg, "DISCARD ALL", Tier::read, "DISCARD"},
        {"PREPARE does not execute", pg, "PREPARE p AS DELETE FROM t", Tier::read, "PREPARE"},
        {"LOCK reads", pg, "LOCK TABLE t IN ACCESS SHARE MODE", Tier::read, "LOCK"},
        {"COPY TO STDOUT reads", pg, "COPY t TO STDOUT", Tier::read, "COPY TO STDOUT"},
        {"DECLARE cursor over a query reads", pg, "DECLARE c CURSOR FOR SELECT 1", Tier::read, "DECLARE"},
        {"a comment alone reads", pg, "-- nothing here", Tier::read, "empty statement"},
        {"MySQL SHOW reads", my, "SHOW TABLES", Tier::read, "SHOW"},
        {"MySQL DESCRIBE table reads", my, "DESCRIBE t", Tier::read, "DESCRIBE"},
        {"MySQL SELECT INTO @variable reads", my, "SELECT a INTO @v FROM t", Tier::read, "SELECT"},
        {"SQLite query PRAGMA reads", lite, "PRAGMA table_info(t)", Tier::read, "PRAGMA"},
        {"ClickHouse WITH alias reads", ch, "WITH 1 AS x SELECT x", Tier::read, "WITH ... SELECT"},
        {"ClickHouse SELECT ... FORMAT reads", ch, "SELECT 1 FORMAT JSON", Tier::read, "SELECT"},
    });
}

TEST_CASE("sql: writes (§17 Write)") {
    check_cases({
        {"INSERT writes", pg, "INSERT INTO t VALUES (1)", Tier::write, "INSERT"},
        {"ON CONFLICT DO UPDATE stays an INSERT", pg, "INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2",
         Tier::write, "INSERT"},
        {"UPDATE without WHERE is flagged", pg, "UPDATE t SET a = 1", Tier::write, "UPDATE", "update-without-where"},
        {"MERGE without DELETE writes", pg, "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET b = 1",
         Tier::write, "MERGE"},
        {"CREATE writes", pg, "CREATE TABLE t (a int REFERENCES u ON DELETE CASCADE)", Tier::write, "CREATE"},
        {"CREATE OR REPLACE VIEW writes", pg, "CREATE OR REPLACE VIEW v AS SELECT 1", Tier::write, "CREATE"},
        {"ALTER ... DROP DEFAULT keeps data", pg, "ALTER TABLE t ALTER COLUMN c DROP DEFAULT", Tier::write, "ALTER"},
        {"ALTER ... DROP NOT NULL keeps data", pg, "ALTER TABLE t ALTER COLUMN c DROP NOT NULL", Tier::write, "ALTER"},
        {"ALTER PUBLICATION ... DROP changes membership", pg, "ALTER PUBLICATION p DROP TABLE t", Tier::write,
         "ALTER PUBLICATION (membership change; members survive)"},
        {"OPTIONS (DROP x) keeps data", pg, "ALTER SERVER s OPTIONS (DROP host)", Tier::write, "ALTER"},
        {"GRANT writes", pg, "GRANT SELECT ON t TO bob", Tier::write, "GRANT"},
        {"REVOKE DELETE is not a DELETE", pg, "REVOKE DELETE ON t FROM bob", Tier::write, "REVOKE"},
        {"VACUUM writes", pg, "VACUUM t", Tier::write, "VACUUM"},
        {"NOTIFY writes", pg, "NOTIFY chan", Tier::write, "NOTIFY"},
        {"CALL writes", pg, "CALL p(1)", Tier::write, "CALL"},
        {"an unknown EXECUTE writes", pg, "EXECUTE p(1)", Tier::write, "EXECUTE"},
        {"SELECT INTO creates a table", pg, "SELECT * INTO n FROM t", Tier::write, "SELECT INTO creates a table"},
        {"COPY FROM loads rows", pg, "COPY t FROM STDIN", Tier::write, "COPY FROM"},
        {"COPY TO PROGRAM runs a shell", pg, "COPY t TO PROGRAM 'gzip > /tmp/x'", Tier::write, "COPY TO file/program",
         "copy-program-runs-shell"},
        {"nextval writes", pg, "SELECT nextval('s')", Tier::write, "calls side-effecting function (nextval)"},
        {"pg_terminate_backend writes", pg, "SELECT pg_terminate_backend(42)", Tier::write,
         "calls side-effecting function (pg_terminate_backend)"},
        {"dblink runs SQL elsewhere", pg, "SELECT * FROM dblink('remote', 'UPDATE t SET a = 1 RETURNING 1') AS r(x int)",
         Tier::write, "calls side-effecting function (dblink)"},
        {"two-phase PREPARE TRANSACTION writes", pg, "PREPARE TRANSACTION 'x'", Tier::write, "two-phase commit"},
        {"DO without a destructive body writes", pg, "DO $$ BEGIN RAISE NOTICE 'hi'; END $$", Tier::write,
         "DO block executes arbitrary code"},
        {"WITH containing UPDATE writes", pg, "WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM u", Tier::write,
         "WITH containing DML"},
        {"EXPLAIN ANALYZE UPDATE executes a write", pg, "EXPLAIN ANALYZE UPDATE t SET a = 1", Tier::write,
         "EXPLAIN ANALYZE executes: UPDATE"},
        {"MySQL REPLACE INTO writes", my, "REPLACE INTO t VALUES (1)", Tier::write, "REPLACE"},
        {"MySQL LOAD DATA LOCAL is flagged", my, "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", Tier::write,
         "LOAD", "load-data-local-infile"},
        {"COPY FROM PROGRAM runs a shell", gen, "COPY t FROM PROGRAM 'curl x'", Tier::write, "COPY FROM",
         "copy-program-runs-shell"},
        {"MySQL SET GLOBAL outlives the session", my, "SET GLOBAL read_only = 0", Tier::write, "SET GLOBAL"},
        {"MySQL INTO OUTFILE writes a file", my, "SELECT * FROM t INTO OUTFILE '/tmp/x'", Tier::write,
         "SELECT INTO OUTFILE", "writes-server-file"},
        {"ClickHouse DETACH writes", ch, "ALTER TABLE t DETACH PARTITION '2024'", Tier::write, "ALTER"},
        {"ClickHouse DETACH TABLE writes", ch, "DETACH TABLE t", Tier::write, "DETACH"},
        {"ClickHouse mutation UPDATE writes", ch, "ALTER TABLE t UPDATE a = 1 WHERE b", Tier::write, "ALTER"},
        {"ClickHouse SYSTEM DROP ... CACHE is a cache", ch, "SYSTEM DROP DNS CACHE", Tier::write, "SYSTEM"},
        {"Snowflake UNDROP writes", gen, "UNDROP TABLE t", Tier::write, "UNDROP"},
        {"SQLite setting PRAGMA writes", lite, "PRAGMA foreign_keys = OFF", Tier::write, "PRAGMA"},
        {"SQLite INSERT OR REPLACE writes", lite, "INSERT OR REPLACE INTO t VALUES (1)", Tier::write, "INSERT"},
    });
}

TEST_CASE("sql: destructive statements (§17 Destructive)") {
    check_cases({
        {"DROP TABLE", pg, "DROP TABLE IF EXISTS t", Tier::destructive, "DROP"},
        {"DROP DATABASE", pg, "DROP DATABASE prod", Tier::destructive, "DROP"},
        {"DROP OWNED", pg, "DROP OWNED BY bob", Tier::destructive, "DROP"},
        {"TRUNCATE", pg, "TRUNCATE t", Tier::destructive, "TRUNCATE"},
        {"DELETE with WHERE", pg, "DELETE FROM t WHERE id = 1", Tier::destructive, "DELETE"},
        {"DELETE without WHERE is flagged", pg, "DELETE FROM t", Tier::destructive, "DELETE", "delete-without-where"},
        {"ALTER ... DROP COLUMN", pg, "ALTER TABLE t DROP COLUMN c", Tier::destructive, "ALTER ... DROP COLUMN"},
        {"ALTER ... DROP <column> without COLUMN", pg, "alter table t drop c", Tier::destructive, "ALTER ... DROP C"},
        {"ALTER ... DROP CONSTRAINT", pg, "ALTER TABLE t DROP CONSTRAINT k", Tier::destructive,
         "ALTER ... DROP CONSTRAINT"},
        {"ALTER TYPE ... DROP ATTRIBUTE", pg, "ALTER TYPE ty DROP ATTRIBUTE a", Tier::destructive,
         "ALTER ... DROP ATTRIBUTE"},
        {"MERGE ... THEN DELETE", pg, "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", Tier::destructive,
         "MERGE ... THEN DELETE"},
        {"data-modifying CTE with DELETE", pg, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
         Tier::destructive, "WITH containing DELETE"},
        {"EXPLAIN ANALYZE DELETE executes the DELETE", pg, "EXPLAIN ANALYZE DELETE FROM t", Tier::destructive,
         "EXPLAIN ANALYZE executes: DELETE"},
        {"EXPLAIN (ANALYZE) option list", pg, "EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", Tier::destructive,
         "EXPLAIN ANALYZE executes: DELETE"},
        {"lo_unlink deletes a large object", pg, "SELECT lo_unlink(42)", Tier::destructive,
         "calls side-effecting function (lo_unlink)"},
        {"pg_drop_replication_slot", pg, "SELECT pg_drop_replication_slot('s')", Tier::destructive,
         "calls side-effecting function (pg_drop_replication_slot)"},
        {"COPY (DELETE ... RETURNING) runs the DELETE", pg, "COPY (DELETE FROM t RETURNING *) TO STDOUT",
         Tier::destructive, "COPY containing DELETE"},
        {"DO with a DELETE statement", pg, "DO $$ BEGIN DELETE FROM t; END $$", Tier::destructive,
         "DO block runs DELETE"},
        {"DO with dynamic EXECUTE 'DROP ...'", pg, "DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $$",
         Tier::destructive, "DO block runs dynamic DROP", "dynamic-sql"},
        {"DO with format('DROP ...')", pg, "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 't'); END $$",
         Tier::destructive, "DO block runs dynamic DROP"},
        {"DO PERFORM lo_unlink", pg, "DO $$ BEGIN PERFORM lo_unlink(5); END $$", Tier::destructive, ""},
        {"DO in another language reads its strings as SQL", pg,
         "DO LANGUAGE plpython3u $$ plpy.execute(\"DROP TABLE t\") $$", Tier::destructive, ""},
        {"PREPARE then EXECUTE takes the prepared label", pg, "PREPARE p AS DELETE FROM t; EXECUTE p",
         Tier::destructive, "batch: EXECUTE (prepared DELETE)"},
        {"BEGIN ... ROLLBACK still executes", pg, "BEGIN; DELETE FROM t; ROLLBACK", Tier::destructive,
         "batch: DELETE"},
        {"MySQL TRUNCATE PARTITION", my, "ALTER TABLE t TRUNCATE PARTITION p0", Tier::destructive,
         "ALTER ... TRUNCATE PARTITION"},
        {"MySQL DISCARD TABLESPACE", my, "ALTER TABLE t DISCARD TABLESPACE", Tier::destructive,
         "ALTER ... DISCARD TABLESPACE"},
        {"MySQL RESET MASTER deletes binary logs", my, "RESET MASTER", Tier::destructive, "RESET MASTER"},
        {"MySQL PURGE BINARY LOGS deletes binary logs (recovery history)", my,
         "PURGE BINARY LOGS BEFORE NOW()", Tier::destructive, "PURGE BINARY LOGS"},
        {"MySQL PURGE MASTER LOGS likewise", my, "PURGE MASTER LOGS TO 'mysql-bin.000010'", Tier::destructive, ""},
        {"MySQL PREPARE FROM a string, then EXECUTE", my, "PREPARE s FROM 'DELETE FROM t'; EXECUTE s",
         Tier::destructive, "batch: EXECUTE (prepared DELETE)"},
        {"ClickHouse ALTER ... DELETE mutation", ch, "ALTER TABLE t DELETE WHERE a = 1", Tier::destructive,
         "ALTER ... DELETE"},
        {"ClickHouse DROP PARTITION", ch, "ALTER TABLE t DROP PARTITION '2024'", Tier::destructive,
         "ALTER ... DROP PARTITION"},
        {"ClickHouse DROP DETACHED PARTITION", ch, "ALTER TABLE t DROP DETACHED PARTITION '2024'", Tier::destructive,
         "ALTER ... DROP DETACHED"},
        {"ClickHouse REPLACE PARTITION discards the old rows", ch, "ALTER TABLE t REPLACE PARTITION 1 FROM t2",
         Tier::destructive, "ALTER ... REPLACE PARTITION"},
        {"ClickHouse UNFREEZE deletes frozen backups", ch, "ALTER TABLE t UNFREEZE WITH NAME 'b'", Tier::destructive,
         "ALTER ... UNFREEZE"},
        // Red team 4: a ClickHouse TTL deletes the rows (or resets the column
        // values) it finds expired, at once (materialize_ttl_after_modify);
        // each was a write. A TTL that only moves or recompresses keeps them.
        {"ClickHouse MODIFY TTL deletes expired rows", ch, "ALTER TABLE t MODIFY TTL d + INTERVAL 0 SECOND",
         Tier::destructive, "ALTER ... MODIFY TTL"},
        {"ClickHouse MODIFY TTL ... GROUP BY folds rows", ch,
         "ALTER TABLE t MODIFY TTL d + INTERVAL 1 DAY GROUP BY k SET v = sum(v)", Tier::destructive, ""},
        {"ClickHouse TTL that moves and deletes", ch,
         "ALTER TABLE t MODIFY TTL d + INTERVAL 1 DAY TO VOLUME 'cold', d + INTERVAL 2 DAY DELETE", Tier::destructive, ""},
        {"ClickHouse TTL whose second rule has no action (DELETE)", ch,
         "ALTER TABLE t MODIFY TTL d + INTERVAL 1 DAY TO VOLUME 'cold', d + INTERVAL 2 DAY", Tier::destructive, ""},
        {"ClickHouse column TTL resets existing values", ch, "ALTER TABLE t MODIFY COLUMN c String TTL d + INTERVAL 0 DAY",
         Tier::destructive, ""},
        {"ClickHouse TTL that only moves to a volume keeps the rows", ch,
         "ALTER TABLE t MODIFY TTL d + INTERVAL 30 DAY TO VOLUME 'cold'", Tier::write, "ALTER"},
        {"ClickHouse REMOVE TTL keeps the rows", ch, "ALTER TABLE t REMOVE TTL", Tier::write, "ALTER"},
        {"ClickHouse ADD COLUMN with a TTL holds no data yet", ch,
         "ALTER TABLE t ADD COLUMN c String TTL d + INTERVAL 1 DAY", Tier::write, "ALTER"},
        {"ClickHouse SYSTEM UNFREEZE deletes frozen backups", ch, "SYSTEM UNFREEZE WITH NAME 'b'", Tier::destructive,
         "SYSTEM UNFREEZE"},
        {"ClickHouse CREATE OR REPLACE TABLE", ch, "CREATE OR REPLACE TABLE t (a Int8) ENGINE = Memory",
         Tier::destructive, "CREATE OR REPLACE TABLE"},
        {"Snowflake CREATE OR REPLACE TRANSIENT TABLE", gen, "CREATE OR REPLACE TRANSIENT TABLE t (a int)",
         Tier::destructive, "CREATE OR REPLACE TABLE"},
        {"INSERT OVERWRITE", gen, "INSERT OVERWRITE TABLE t SELECT * FROM s", Tier::destructive, "INSERT OVERWRITE"},
        {"Databricks MERGE ... NOT MATCHED BY SOURCE THEN DELETE", gen,
         "MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED BY SOURCE THEN DELETE", Tier::destructive,
         "MERGE ... THEN DELETE"},
        {"Snowflake EXECUTE IMMEDIATE of a DROP", gen, "EXECUTE IMMEDIATE 'DROP TABLE t'", Tier::destructive,
         "EXECUTE IMMEDIATE: DROP"},
        {"Snowflake Scripting block with DELETE", gen, "EXECUTE IMMEDIATE $$ BEGIN DELETE FROM t; END $$",
         Tier::destructive, ""},
        {"SQLite DELETE", lite, "DELETE FROM t", Tier::destructive, "DELETE"},
        {"dblink_exec runs its literal SQL text", pg, "SELECT dblink_exec('dbname=prod', 'DROP TABLE t')",
         Tier::destructive, "calls dblink_exec running DROP"},
        {"dblink runs its literal SQL text", pg, "SELECT * FROM dblink('dbname=prod', 'DELETE FROM t RETURNING 1') AS r(a int)",
         Tier::destructive, "calls dblink running DELETE"},
        // Stored code runs later, called by a SELECT (read) or fired by an INSERT
        // (write): a body that deletes makes the CREATE destructive, as DO is.
        {"CREATE FUNCTION whose PL/pgSQL body deletes", pg,
         "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; END $$", Tier::destructive,
         "CREATE FUNCTION whose code runs DELETE", "stored-code-deletes"},
        {"CREATE OR REPLACE FUNCTION with a SQL body in quotes", pg,
         "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'DELETE FROM t; SELECT 1' LANGUAGE sql", Tier::destructive,
         "CREATE FUNCTION whose code runs DELETE"},
        {"CREATE FUNCTION with a BEGIN ATOMIC body", pg,
         "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT 1; END", Tier::destructive,
         ""},
        {"CREATE PROCEDURE that truncates", pg, "CREATE PROCEDURE p() LANGUAGE sql AS $$ TRUNCATE t $$",
         Tier::destructive, "CREATE PROCEDURE whose code runs TRUNCATE"},
        {"CREATE FUNCTION in another language reads its strings as SQL", pg,
         "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$ plpy.execute(\"DROP TABLE t\") $$",
         Tier::destructive, ""},
        {"CREATE RULE whose action deletes", pg, "CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM u",
         Tier::destructive, "CREATE RULE whose code runs DELETE"},
        // These two were pinned as writes ("stored, not run"): the DELETE then ran
        // under block-destructive, fired by a write or called by a read.
        {"a rule's DELETE action runs on every DELETE it rewrites", pg,
         "CREATE RULE r AS ON DELETE TO t DO INSTEAD DELETE FROM u", Tier::destructive, ""},
        {"a MySQL trigger body's DELETE runs on every insert", my,
         "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW BEGIN DELETE FROM u; END", Tier::destructive, ""},
        {"MySQL trigger that deletes", my, "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW DELETE FROM u",
         Tier::destructive, "CREATE TRIGGER whose code runs DELETE"},
        {"MySQL event that deletes", my, "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t", Tier::destructive,
         "CREATE EVENT whose code runs DELETE"},
        {"a SQLite trigger body does not hide the next statement", lite,
         "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; DROP TABLE u", Tier::destructive, "batch: DROP"},
    });
}

// MariaDB statements that run another statement inside their own words: each
// was judged by its first word (SET: read; ANALYZE, CREATE, an unknown IF or
// label: write) and the DROP or DELETE inside ran under block-destructive.
TEST_CASE("sql: MariaDB statements that run the statement inside them") {
    check_cases({
        {"SET STATEMENT ... FOR runs its statement", my, "SET STATEMENT max_statement_time=60 FOR DROP TABLE t",
         Tier::destructive, "SET STATEMENT ... FOR DROP"},
        {"SET STATEMENT with several variables", my, "SET STATEMENT a=1, b=(SELECT 2) FOR DELETE FROM t WHERE id=1",
         Tier::destructive, ""},
        {"SET STATEMENT ... FOR a read stays a read", my, "SET STATEMENT max_statement_time=1 FOR SELECT 1",
         Tier::read, "SET STATEMENT ... FOR SELECT"},
        {"SET STATEMENT ... FOR an update is a write", my, "SET STATEMENT a=1 FOR UPDATE t SET a=2 WHERE b=1",
         Tier::write, ""},
        {"ALTER TABLE ... ENGINE=BLACKHOLE empties the table", my, "ALTER TABLE t ENGINE=BLACKHOLE",
         Tier::destructive, "ALTER ... ENGINE=BLACKHOLE discards every row"},
        {"ENGINE BLACKHOLE quoted, without =", my, "ALTER TABLE t FORCE, ENGINE 'blackhole'", Tier::destructive, ""},
        {"ALTER TABLE ... ENGINE=InnoDB stays a write", my, "ALTER TABLE t ENGINE=InnoDB", Tier::write, "ALTER"},
        {"ANALYZE runs its DELETE", my, "ANALYZE DELETE FROM t", Tier::destructive, "ANALYZE executes: DELETE"},
        {"ANALYZE FORMAT=JSON runs its DELETE", my, "ANALYZE FORMAT=JSON DELETE FROM t WHERE id < 9",
         Tier::destructive, ""},
        {"ANALYZE of a SELECT runs a read", my, "ANALYZE SELECT * FROM t", Tier::read, ""},
        {"ANALYZE TABLE stays the write it is", my, "ANALYZE TABLE t", Tier::write, "ANALYZE"},
        {"BEGIN NOT ATOMIC runs its body now", my, "BEGIN NOT ATOMIC DROP TABLE t; END", Tier::destructive, ""},
        {"a labelled BEGIN NOT ATOMIC", my, "wipe: BEGIN NOT ATOMIC DROP TABLE t; END wipe", Tier::destructive, ""},
        {"a label without a space before BEGIN", my, "wipe:BEGIN NOT ATOMIC DELETE FROM t; END wipe",
         Tier::destructive, ""},
        {"IF outside a stored program", my, "IF 1 THEN DROP TABLE t; END IF", Tier::destructive, ""},
        {"WHILE ... DO", my, "WHILE @n IS NULL DO TRUNCATE t; SET @n = 1; END WHILE", Tier::destructive, ""},
        {"REPEAT", my, "REPEAT DELETE FROM t; UNTIL 1 END REPEAT", Tier::destructive, ""},
        {"CASE", my, "CASE WHEN 1 THEN DROP TABLE t; END CASE", Tier::destructive, ""},
        {"a compound statement that reads stays a write", my, "IF 1 THEN SELECT 1; END IF", Tier::write, ""},
        {"a routine whose body is one DROP", my, "CREATE PROCEDURE p() DROP TABLE t", Tier::destructive,
         "CREATE PROCEDURE whose code runs DROP", "stored-code-deletes"},
        {"a routine body after characteristics", my,
         "CREATE DEFINER=CURRENT_USER PROCEDURE p(IN n INT) SQL SECURITY INVOKER MODIFIES SQL DATA "
         "COMMENT 'cleanup' TRUNCATE TABLE t",
         Tier::destructive, ""},
        {"a function whose body is one ALTER ... DROP", my, "CREATE PROCEDURE p() ALTER TABLE t DROP COLUMN c",
         Tier::destructive, ""},
        {"a one-statement routine that reads stays a write", my,
         "CREATE FUNCTION f(a INT) RETURNS VARCHAR(10) CHARSET utf8 DETERMINISTIC RETURN (SELECT 'x')",
         Tier::write, "CREATE"},
    });
}

// Text made at run time cannot be read: judged the worst it could be. Each of
// these was a write, and the DROP it ran passed under block-destructive.
TEST_CASE("sql: dynamic SQL askfirst cannot read is judged destructive") {
    check_cases({
        {"PL/pgSQL EXECUTE of a concatenation", pg, "DO $$ BEGIN EXECUTE 'DR' || 'OP TABLE t'; END $$",
         Tier::destructive, "DO block runs dynamic SQL askfirst cannot read", "dynamic-sql"},
        {"PL/pgSQL EXECUTE of a variable", pg,
         "DO $$ DECLARE q text := 'x'; BEGIN EXECUTE q; END $$", Tier::destructive, ""},
        {"PL/pgSQL FOR ... IN EXECUTE", pg,
         "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'DR' || 'OP TABLE t' LOOP END LOOP; END $$",
         Tier::destructive, ""},
        {"a function whose body EXECUTEs made text", pg,
         "CREATE FUNCTION f(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DROP TABLE ' || t; END $$",
         Tier::destructive, ""},
        // Red team 4: dblink's SQL text made at run time (a loopback connection
        // runs it on this server); each was a write and the DROP ran.
        {"dblink_exec of a concatenation", pg, "SELECT dblink_exec('dbname=prod', 'DR' || 'OP TABLE t')",
         Tier::destructive, "calls dblink_exec running SQL made at run time", "dynamic-sql"},
        {"dblink of a format()", pg, "SELECT * FROM dblink('dbname=prod', format('%s TABLE t', 'DROP')) AS r(a text)",
         Tier::destructive, ""},
        {"dblink_send_query of a column", pg, "SELECT dblink_send_query('c', q) FROM queue", Tier::destructive, ""},
        {"dblink_exec of two literals stays judged by its text", pg, "SELECT dblink_exec('dbname=prod', 'SELECT 1')",
         Tier::write, "calls side-effecting function (dblink_exec)"},
        // Red team 4: the same in the other procedural languages, through their
        // SPI calls (plpy.execute, spi_exec_query, spi_exec, plv8.execute): each
        // was a write and the table was dropped.
        {"PL/Python plpy.execute of a concatenation", pg,
         "DO LANGUAGE plpython3u $$ plpy.execute(\"DR\" + \"OP TABLE t\") $$", Tier::destructive,
         "DO block runs dynamic SQL askfirst cannot read", "dynamic-sql"},
        {"a PL/Python function whose query is formatted", pg,
         "CREATE FUNCTION f(t text) RETURNS void LANGUAGE plpython3u AS $$ plpy.execute(f\"DR{'O'}P TABLE {t}\") $$",
         Tier::destructive, ""},
        {"PL/Python plpy.prepare of a variable", pg,
         "DO LANGUAGE plpython3u $$ q = 'x'\nplan = plpy.prepare(q)\nplpy.execute(plan) $$", Tier::destructive, ""},
        {"PL/Perl spi_exec_query of interpolated text", pg,
         "DO LANGUAGE plperl $$ my $w = 'DROP'; spi_exec_query(\"$w TABLE t\"); $$", Tier::destructive, ""},
        {"PL/Tcl spi_exec of a variable", pg, "DO LANGUAGE pltcl $$ set q \"DR\"; append q \"OP TABLE t\"; spi_exec $q $$",
         Tier::destructive, ""},
        {"PL/v8 plv8.execute of a concatenation", pg,
         "DO LANGUAGE plv8 $$ plv8.execute('DR' + 'OP TABLE t'); $$", Tier::destructive, ""},
        {"PL/Python plpy.execute of one literal is read as SQL", pg,
         "DO LANGUAGE plpython3u $$ plpy.execute(\"SELECT 1\") $$", Tier::write, "DO block executes arbitrary code"},
        {"PL/Perl spi_exec_query of one literal with a row limit", pg,
         "DO LANGUAGE plperl $$ spi_exec_query('SELECT 1', 5); $$", Tier::write, "DO block executes arbitrary code"},
        {"PL/pgSQL EXECUTE of one literal is read as SQL", pg, "DO $$ BEGIN EXECUTE 'SELECT 1'; END $$", Tier::write,
         "DO block executes arbitrary code"},
        {"EXECUTE IMMEDIATE of a CONCAT", my, "EXECUTE IMMEDIATE CONCAT('DR', 'OP TABLE t')", Tier::destructive,
         "EXECUTE IMMEDIATE of text made at run time", "dynamic-sql"},
        {"EXECUTE IMMEDIATE of a variable", my, "EXECUTE IMMEDIATE @q", Tier::destructive, ""},
        {"EXECUTE IMMEDIATE of a literal with USING is read", my, "EXECUTE IMMEDIATE 'SELECT ?' USING 1", Tier::read,
         ""},
        {"PREPARE FROM a variable, then EXECUTE", my, "SET @q = CONCAT('DR', 'OP TABLE t'); PREPARE s FROM @q; EXECUTE s",
         Tier::destructive, "batch: EXECUTE of text made at run time"},
        {"a routine that EXECUTEs a statement prepared outside it", my, "CREATE PROCEDURE p() EXECUTE s",
         Tier::destructive, ""},
        {"a routine that EXECUTEs a CONCAT", my,
         "CREATE PROCEDURE p() BEGIN EXECUTE IMMEDIATE CONCAT('DR', 'OP TABLE t'); END", Tier::destructive, ""},
        {"a routine that prepares a literal and executes it reads it", my,
         "CREATE PROCEDURE p() BEGIN PREPARE s FROM 'SELECT 1'; EXECUTE s; END", Tier::write, "CREATE"},
    });
}

// A MySQL client picks its charset; under gbk, big5, sjis or cp932 a byte
// >= 0x81 and the ASCII byte after it are one character. Both texts were one
// SELECT to every byte-wise reading; MariaDB ran the DROP (red team 2).
TEST_CASE("sql: two-byte client charsets (MySQL, PostgreSQL)") {
    check_cases({
        {"gbk: 0xbf 0x5c is no backslash, the quote after it closes the string", my,
         "select 'a\\'b', '\xbf\\'; drop table orders; -- '", Tier::destructive, "", "ambiguous-literal-reading"},
        {"sjis: 0x81 0x60 is no backtick, so no quoted identifier opens", my,
         "select 1 as \x81`; drop table orders; -- `", Tier::destructive, ""},
        {"big5: 0xa4 0x5c in a double-quoted string", my, "select \"\xa4\\\"; delete from t; -- \"", Tier::destructive,
         ""},
        {"UTF-8 text before an escape reads the same in every charset", my, "select 'caf\xc3\xa9\\n'", Tier::read,
         ""},
        {"UTF-8 text in an insert stays a write", my, "insert into t values ('\xe6\x97\xa5\xe6\x9c\xac')",
         Tier::write, ""},
        // PostgreSQL converts a client-only encoding before it lexes
        {"PostgreSQL SJIS: 0x81 0x5c in an E'' string", pg, "select E'\x81\\'; drop table orders; -- '",
         Tier::destructive, "", "ambiguous-literal-reading"},
        {"PostgreSQL BIG5: 0xa4 0x5c in an E'' string", pg, "select E'\xa4\\'; delete from orders; -- '",
         Tier::destructive, ""},
        {"PostgreSQL UTF-8 text stays a read", pg, "select '\xe6\x97\xa5\xe6\x9c\xac'", Tier::read, ""},
    });
}

// Nested statements inside statements: each rule looks inside once, so these
// stay fast (trying every FOR or every word of a routine nested exponentially:
// the first text took 485 s).
TEST_CASE("sql: statements nested in statements stay linear") {
    std::string procedures, set_statements, whiles;
    for (int i = 0; i < 40; ++i) procedures += "CREATE PROCEDURE p() ";
    for (int i = 0; i < 3000; ++i) set_statements += "SET STATEMENT a=1 FOR ";
    for (int i = 0; i < 3000; ++i) whiles += "WHILE 1 DO ";
    CHECK(classify_sql(procedures + "DROP TABLE t", my).tier == Tier::write);  // past the nesting bound: a write
    CHECK(classify_sql(set_statements + "SELECT 1", my).tier == Tier::write);
    CHECK(classify_sql("CREATE PROCEDURE p() " + whiles + "DROP TABLE t", my).tier == Tier::destructive);
}

TEST_CASE("sql: stored code that does not delete stays a write") {
    check_cases({
        {"CREATE FUNCTION that reads", pg, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
         Tier::write, "CREATE"},
        {"CREATE FUNCTION that inserts", pg,
         "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); END $$",
         Tier::write, ""},
        {"CREATE TRIGGER that calls a function", pg,
         "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", Tier::write, ""},
        {"dblink with a query that reads stays the write dblink is", pg,
         "SELECT * FROM dblink('dbname=prod', 'SELECT 1') AS r(a int)", Tier::write, ""},
        {"CREATE RULE that does nothing", pg, "CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING", Tier::write, ""},
    });
}

// Red team 5: DDL whose expressions run a side-effecting function, now (a
// table rewrite evaluates USING, a volatile ADD COLUMN DEFAULT and a CHECK
// on every row) or later (a DEFAULT on INSERT, a view on SELECT, a policy on
// each read). Each was a write; over a loopback connection the DROP ran.
TEST_CASE("sql: side-effecting functions in DDL expressions are judged where they are written") {
    check_cases({
        {"ADD COLUMN DEFAULT dblink_exec of a DROP runs it on every row", pg,
         "ALTER TABLE t ADD COLUMN x text DEFAULT dblink_exec('dbname=prod', 'DROP TABLE orders')", Tier::destructive,
         "calls dblink_exec running DROP"},
        {"ALTER COLUMN TYPE USING dblink_exec of a DROP", pg,
         "ALTER TABLE t ALTER COLUMN c TYPE text USING c || dblink_exec('dbname=prod', 'DROP TABLE orders')",
         Tier::destructive, "calls dblink_exec running DROP"},
        {"ADD CONSTRAINT CHECK calling lo_unlink", pg, "ALTER TABLE t ADD CONSTRAINT k CHECK (lo_unlink(c) = 1)",
         Tier::destructive, "calls side-effecting function (lo_unlink)"},
        {"CREATE TABLE whose DEFAULT runs a DROP on each INSERT", pg,
         "CREATE TABLE t (a int, b text DEFAULT dblink_exec('dbname=prod', 'DROP TABLE orders'))", Tier::destructive,
         ""},
        {"CREATE VIEW whose query runs a DROP on each SELECT", pg,
         "CREATE VIEW v AS SELECT dblink_exec('dbname=prod', 'DROP TABLE orders')", Tier::destructive, ""},
        {"CREATE POLICY whose USING runs a DROP on each read", pg,
         "CREATE POLICY p ON t USING (dblink_exec('dbname=prod', 'DROP TABLE orders') IS NOT NULL)",
         Tier::destructive, ""},
        {"ALTER DOMAIN ADD CHECK made of dblink text built at run time", pg,
         "ALTER DOMAIN d ADD CHECK (dblink_exec('dbname=prod', 'DR' || 'OP TABLE t') IS NOT NULL)", Tier::destructive,
         "", "dynamic-sql"},
        {"ADD COLUMN DEFAULT nextval stays a write", pg, "ALTER TABLE t ADD COLUMN x int DEFAULT nextval('s')",
         Tier::write, ""},
        {"CREATE TABLE with a plain DEFAULT stays a write", pg, "CREATE TABLE t (a int DEFAULT 0, b text CHECK (b <> ''))",
         Tier::write, "CREATE"},
    });
}

// Red team 5: a function named for later calls without being called (an
// operator's, aggregate's or cast's function; a C or internal function that
// is another's code under a new name) was a write, and the call through the
// new name looked like an operator or an unknown function: the DROP that
// dblink_exec ran through `select 'conn' ~~~ 'drop table t'` passed.
TEST_CASE("sql: a side-effecting function aliased by name is judged where it is aliased") {
    check_cases({
        {"an operator whose function is dblink_exec", pg,
         "CREATE OPERATOR ~~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = dblink_exec)", Tier::destructive, "",
         "dynamic-sql"},
        {"an operator whose procedure is public.dblink_exec", pg,
         "CREATE OPERATOR public.~~~ (LEFTARG = text, RIGHTARG = text, PROCEDURE = public.dblink_exec)",
         Tier::destructive, ""},
        {"an aggregate whose state function is lo_unlink", pg,
         "CREATE AGGREGATE a(oid) (SFUNC = lo_unlink, STYPE = int)", Tier::destructive, ""},
        {"a cast through dblink_exec", pg, "CREATE CAST (text AS int) WITH FUNCTION dblink_exec(text)",
         Tier::destructive, ""},
        {"a C function that is dblink_exec", pg,
         "CREATE FUNCTION innocent(text, text) RETURNS text LANGUAGE c AS 'dblink', 'dblink_exec'", Tier::destructive,
         "", "dynamic-sql"},
        {"an internal function that is lo_unlink", pg,
         "CREATE FUNCTION innocent(oid) RETURNS int LANGUAGE internal AS 'be_lo_unlink'", Tier::destructive, ""},
        {"an ordinary operator stays a write", pg,
         "CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)", Tier::write, "CREATE"},
        {"an ordinary C function stays a write", pg,
         "CREATE FUNCTION f(int) RETURNS int LANGUAGE c AS 'mylib', 'my_f'", Tier::write, ""},
        {"a SQL function whose body says dblink_exec in a comment is judged by its body", pg,
         "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 -- dblink_exec $$", Tier::write, ""},
        // The token reading (the generic dialect: rds-data on Aurora PostgreSQL).
        {"token path: an operator whose function is dblink_exec", gen,
         "CREATE OPERATOR ~~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = dblink_exec)", Tier::destructive, "",
         "dynamic-sql"},
        {"token path: a C function that is dblink_exec", gen,
         "CREATE FUNCTION innocent(text, text) RETURNS text LANGUAGE c AS 'dblink', 'dblink_exec'", Tier::destructive,
         ""},
        {"token path: an aggregate whose state function is lo_unlink", gen,
         "CREATE AGGREGATE a(oid) (SFUNC = lo_unlink, STYPE = int)", Tier::destructive, ""},
        {"token path: an ordinary operator stays a write", gen,
         "CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)", Tier::write, "CREATE"},
        {"token path: a table named dblink_log stays a write", gen, "CREATE TABLE dblink_log (a int)", Tier::write,
         "CREATE"},
    });
}

// Red team 5: a text nested too deeply for the parse tree is read by tokens,
// which judged dblink's SQL text not at all and DDL expressions not at all:
// SELECT or ALTER ... DEFAULT dblink_exec('...', 'DROP TABLE t') beside 400
// nested calls (PostgreSQL runs it) was a write.
TEST_CASE("sql: dblink and DDL expressions are judged on the token path too") {
    std::string deep = "0";
    for (int i = 0; i < 400; ++i) deep = "coalesce(" + deep + ", 0)";
    const SqlDialect dialects[] = {pg, gen};
    for (const SqlDialect dialect : dialects) {
        CAPTURE(static_cast<int>(dialect));
        CHECK(classify_sql("SELECT dblink_exec('dbname=prod', 'DROP TABLE t'), " + deep, dialect).tier == Tier::destructive);
        CHECK(classify_sql("SELECT dblink_exec('dbname=prod', 'DR' || 'OP TABLE t'), " + deep, dialect).tier ==
              Tier::destructive);
        CHECK(classify_sql("ALTER TABLE h ADD COLUMN x text DEFAULT dblink_exec('dbname=prod', 'DROP TABLE t') || " + deep,
                           dialect).tier == Tier::destructive);
        CHECK(classify_sql("CREATE TABLE h (x text DEFAULT dblink_exec('dbname=prod', 'DROP TABLE t'), y int DEFAULT " +
                               deep + ")",
                           dialect).tier == Tier::destructive);
        CHECK(classify_sql("ALTER TABLE h ADD CONSTRAINT k CHECK (lo_unlink(c) = " + deep + ")", dialect).tier ==
              Tier::destructive);
        CHECK(classify_sql("SELECT dblink_exec('dbname=prod', 'SELECT 1'), " + deep, dialect).tier == Tier::write);
        // A function named by a quoted identifier is the same function.
        CHECK(classify_sql("SELECT \"dblink_exec\"('dbname=prod', 'DROP TABLE t'), " + deep, dialect).tier ==
              Tier::destructive);
        CHECK(classify_sql("SELECT \"lo_unlink\"(" + deep + ")", dialect).tier == Tier::destructive);
        CHECK(classify_sql("SELECT U&\"\\0064blink_exec\"('dbname=prod', 'DROP TABLE t'), " + deep, dialect).tier ==
              Tier::destructive);
        // CREATE TABLE ... AS runs its query now: a DELETE in its WITH counts.
        CHECK(classify_sql("CREATE TABLE k AS WITH d AS (DELETE FROM t RETURNING id) SELECT id, " + deep + " FROM d",
                           dialect).tier == Tier::destructive);
        CHECK(classify_sql("CREATE TABLE k (a) AS SELECT " + deep, dialect).tier == Tier::write);
        CHECK(classify_sql("CREATE TYPE p AS (a int, b text)", dialect).tier == Tier::write);
    }
}

// Red team 5: ALTER COLUMN ... TYPE ... USING rewrites every row's value to
// the expression; one that never reads the column wipes it (it was a write).
TEST_CASE("sql: ALTER COLUMN TYPE USING an expression that does not read the column is destructive") {
    // Nested past cJSON's depth limit, the PostgreSQL text is read by tokens.
    std::string deep = "NULL";
    for (int i = 0; i < 400; ++i) deep = "coalesce(" + deep + ", NULL)";
    CHECK(classify_sql("ALTER TABLE t ALTER COLUMN c TYPE int USING " + deep, pg).tier == Tier::destructive);
    const std::string wiped = "ALTER ... TYPE ... USING an expression that does not read the column (c): every stored value is replaced";
    check_cases({
        {"USING NULL", pg, "ALTER TABLE t ALTER COLUMN c TYPE int USING NULL", Tier::destructive, wiped,
         "column-values-replaced"},
        {"USING a constant, SET DATA TYPE spelling", pg, "ALTER TABLE t ALTER c SET DATA TYPE text USING ''",
         Tier::destructive, wiped},
        {"USING a function of no column", pg, "ALTER TABLE t ALTER COLUMN c TYPE timestamptz USING now()",
         Tier::destructive, wiped},
        {"USING another column", pg, "ALTER TABLE t ALTER COLUMN c TYPE int USING d", Tier::destructive, wiped},
        {"the second of two clauses wipes", pg,
         "ALTER TABLE t ALTER COLUMN a TYPE bigint USING a, ALTER COLUMN c TYPE int USING 0", Tier::destructive, wiped},
        {"a quoted column name is folded as the server folds it", pg,
         "ALTER TABLE t ALTER COLUMN \"C\" TYPE int USING c", Tier::destructive, ""},
        {"USING the column through a cast stays a write", pg, "ALTER TABLE t ALTER COLUMN c TYPE int USING c::int",
         Tier::write, "ALTER"},
        {"USING the qualified column in a function stays a write", pg,
         "ALTER TABLE t ALTER COLUMN c TYPE timestamptz USING to_timestamp(t.c)", Tier::write, "ALTER"},
        // The token reading (other dialects; PostgreSQL texts too deep for the parse tree).
        {"token path: USING NULL", gen, "ALTER TABLE t ALTER COLUMN c TYPE int USING NULL", Tier::destructive, wiped},
        {"token path: the second clause wipes", gen,
         "ALTER TABLE t ALTER COLUMN a TYPE bigint USING (a + 0), ALTER c SET DATA TYPE int USING coalesce(NULL, 0)",
         Tier::destructive, wiped},
        {"token path: USING the column stays a write", gen, "ALTER TABLE t ALTER COLUMN c TYPE int USING c::int",
         Tier::write, "ALTER"},
        {"token path: a MySQL index USING BTREE is no type change", my, "ALTER TABLE t ADD INDEX i (c) USING BTREE",
         Tier::write, "ALTER"},
        {"TYPE without USING (the implicit cast) stays a write", pg, "ALTER TABLE t ALTER COLUMN c TYPE bigint",
         Tier::write, "ALTER"},
    });
}

TEST_CASE("sql: comment and literal traps") {
    check_cases({
        {"DROP inside a string is data", pg, "SELECT 'DROP TABLE x'", Tier::read, "SELECT"},
        {"DROP after -- is a comment", pg, "SELECT 1 -- ; DROP TABLE x", Tier::read, "SELECT"},
        {"PostgreSQL block comments nest", pg, "/* a /* DROP TABLE x; */ still comment */ SELECT 1", Tier::read,
         "SELECT"},
        {"a doubled quote does not end the string", pg, "SELECT 'it''s'; DROP TABLE t", Tier::destructive,
         "batch: DROP"},
        {"E'' strings escape with backslashes", pg, "SELECT E'\\\\'; DROP TABLE t; --'", Tier::destructive,
         "batch: DROP"},
        {"a dollar-quoted body is one literal", pg, "SELECT $x$ ; DROP TABLE t; $x$", Tier::read, "SELECT"},
        {"MySQL /*! */ is code", my, "SELECT 1 /*! ; DROP TABLE t */", Tier::destructive, "batch: DROP"},
        {"MySQL versioned /*!50700 */ is code", my, "SELECT 1 /*!50700 ; DROP TABLE t */", Tier::destructive,
         "batch: DROP"},
        {"MySQL # is a comment", my, "SELECT 1 # ; DROP TABLE x", Tier::read, "SELECT"},
        {"MySQL --1 is arithmetic, not a comment", my, "SELECT 1--1; DROP TABLE x", Tier::destructive, "batch: DROP"},
        {"an unknown engine may be MySQL: --1 is judged both ways", gen, "SELECT 1--1; DROP TABLE x",
         Tier::destructive, "DROP", "ambiguous-literal-reading"},
        {"PostgreSQL --1 is a comment", pg, "SELECT 1--1; DROP TABLE x", Tier::read, "SELECT"},
        {"MySQL backslash-escaped quote: both readings are judged", my, "SELECT 'a\\'; DROP TABLE x; -- '",
         Tier::destructive, "DROP", "ambiguous-literal-reading"},
        {"PostgreSQL with standard_conforming_strings off is judged too", pg, "SELECT 'a\\''; DROP TABLE t; --'",
         Tier::destructive, "DROP", "ambiguous-literal-reading"},
        {"a reading that leaves a literal open runs nothing", pg, "SELECT websearch_to_tsquery('\\')", Tier::read,
         "SELECT"},
        {"a MySQL double-quoted string is data", my, "SELECT \"DROP TABLE x\"", Tier::read, "SELECT"},
        {"generic dialect judges both backslash readings", gen, "SELECT 'a\\'; DROP TABLE x; --'", Tier::destructive,
         "DROP"},
        {"an unterminated literal is a write at least", gen, "SELECT 'oops", Tier::write, "", "unparsed-sql"},
        {"text that is not SQL is a write at least", pg, "SELEC garbage", Tier::write, "SELEC", "unparsed-sql"},
        {"ON DELETE in a foreign key is not a DELETE", my,
         "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE", Tier::write, "ALTER"},
        {"EXPLAIN without ANALYZE is a dry run", pg, "EXPLAIN DELETE FROM t", Tier::read, "EXPLAIN without ANALYZE"},
        {"EXPLAIN (ANALYZE off) is a dry run", pg, "EXPLAIN (ANALYZE off) DELETE FROM t", Tier::read,
         "EXPLAIN without ANALYZE"},
        {"EXPLAIN on the token path is a dry run", my, "EXPLAIN FORMAT=TREE DELETE FROM t", Tier::read,
         "EXPLAIN without ANALYZE"},
        {"a column list named delete is not a DELETE", pg, "INSERT INTO t (\"delete\") VALUES (1)", Tier::write,
         "INSERT"},
    });
}

TEST_CASE("sql: batches take the most severe statement") {
    const SqlVerdict two = classify_sql_batch({"SELECT 1", "DROP TABLE t"}, SqlDialect::sqlite);
    CHECK(two.tier == Tier::destructive);
    CHECK(two.operation == "SQL batch: DROP");
    const SqlVerdict reads = classify_sql_batch({"SELECT 1", "SELECT 2"}, SqlDialect::postgres);
    CHECK(reads.tier == Tier::read);
    CHECK(reads.operation == "SQL batch: SELECT");
    const SqlVerdict one = classify_sql_batch({"UPDATE t SET a = 1 WHERE b = 2"}, SqlDialect::mysql);
    CHECK(one.operation == "SQL UPDATE");
}

TEST_CASE("sql: libpg_query is safe to call repeatedly and on hostile input") {
    // Deep nesting exceeds libpg_query's stack check or cJSON's depth limit:
    // the token path answers, and never with read for a DELETE.
    std::string deep = "SELECT ";
    for (int i = 0; i < 3000; ++i) deep += "(";
    deep += "1";
    for (int i = 0; i < 3000; ++i) deep += ")";
    for (int round = 0; round < 50; ++round) CHECK(classify_sql("SELECT 1", SqlDialect::postgres).tier == Tier::read);
    CHECK(classify_sql(deep + "; DELETE FROM t", SqlDialect::postgres).tier == Tier::destructive);
    const std::string with_nul("SELECT 1\0; DROP TABLE t", 23);
    CHECK(classify_sql(with_nul, SqlDialect::postgres).tier == Tier::destructive);
}

TEST_CASE("sql lexer: tokens, offsets and strictness") {
    using namespace askfirst::classifiers::sql;
    const LexResult lexed = lex_sql("select `a` , $1 FROM \"T\" -- c\n;", lex_options_for(SqlDialect::postgres));
    REQUIRE(lexed.complete);
    REQUIRE(lexed.tokens.size() == 7);
    CHECK(lexed.tokens[0].text == "SELECT");
    CHECK(lexed.tokens[1].kind == TokenKind::quoted_identifier);
    CHECK(lexed.tokens[3].kind == TokenKind::parameter);
    CHECK(lexed.tokens[5].text == "T");
    CHECK(lexed.tokens[6].offset == 30);
    CHECK_FALSE(lex_sql("SELECT /* open", lex_options_for(SqlDialect::postgres)).complete);
    CHECK_FALSE(lex_sql("SELECT $$ open", lex_options_for(SqlDialect::postgres)).complete);
    CHECK(split_statements(lex_sql("a; b;; c", {}).tokens).size() == 3);
}
