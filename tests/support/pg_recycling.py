"""Giving a PostgreSQL test database back its template's state without dropping it.

Dropping a database makes the server checkpoint: with a copy per test, those checkpoints
are most of what the PostgreSQL half of the suite waits for. A database a test is done with
is instead emptied and refilled with its template's rows, as they were read once from the
template, and its sequences set back; it is then as a new copy would be. Only a database
whose schema still matches its template's is recycled (a test that changed the schema leaves
one that is dropped): the schema is compared by a digest of the catalogue.
"""

import hashlib
from dataclasses import dataclass

import psycopg
from psycopg import sql

USER_SCHEMAS = """
    SELECT oid FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema')
       AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
"""
# Everything of a database a test could change besides its rows and sequence positions.
SCHEMA_ITEMS = f"""
    SELECT format('namespace %s %s', nspname, nspacl) FROM pg_namespace WHERE oid IN ({USER_SCHEMAS})
    UNION ALL
    SELECT format('relation %s %s %s %s %s', oid::regclass, relkind, relpersistence, relrowsecurity, relacl)
      FROM pg_class WHERE relnamespace IN ({USER_SCHEMAS})
    UNION ALL
    SELECT format('column %s %s %s %s %s %s %s', a.attrelid::regclass, a.attnum, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated, pg_get_expr(d.adbin, d.adrelid))
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace IN ({USER_SCHEMAS}) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace IN ({USER_SCHEMAS})
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace IN ({USER_SCHEMAS})
    UNION ALL
    SELECT format('trigger %s %s', tgenabled, pg_get_triggerdef(oid)) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT format('rule %s', pg_get_ruledef(oid)) FROM pg_rewrite
     WHERE ev_class IN (SELECT oid FROM pg_class WHERE relnamespace IN ({USER_SCHEMAS}))
    UNION ALL
    SELECT format('policy %s %s %s', polrelid::regclass, polname, pg_get_expr(polqual, polrelid)) FROM pg_policy
    UNION ALL
    SELECT format('function %s %s %s', oid::regprocedure, prokind, md5(prosrc))
      FROM pg_proc WHERE pronamespace IN ({USER_SCHEMAS})
    UNION ALL
    SELECT format('type %s %s', oid::regtype, typtype) FROM pg_type
     WHERE typnamespace IN ({USER_SCHEMAS}) AND typrelid = 0 AND typelem = 0
    UNION ALL
    SELECT format('enum %s %s %s', enumtypid::regtype, enumsortorder, enumlabel) FROM pg_enum
    UNION ALL
    SELECT format('extension %s %s', extname, extversion) FROM pg_extension
    UNION ALL
    SELECT format('setting %s %s', setrole, setconfig) FROM pg_db_role_setting
     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
TABLES = f"""
    SELECT oid::regclass::text FROM pg_class
     WHERE relnamespace IN ({USER_SCHEMAS}) AND relkind = 'r' ORDER BY oid
"""
OTHER_KINDS = f"SELECT count(*) FROM pg_class WHERE relnamespace IN ({USER_SCHEMAS}) AND relkind IN ('m', 'p', 'f')"
SEQUENCES = f"SELECT oid::regclass::text FROM pg_class WHERE relnamespace IN ({USER_SCHEMAS}) AND relkind = 'S' ORDER BY oid"


class NotRecyclable(Exception):
    """The database cannot be given its template's state in place: it is to be dropped."""


def schema_digest(connection: psycopg.Connection) -> str:
    items = sorted(row[0] for row in connection.execute(SCHEMA_ITEMS))
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A template's schema digest, its tables, the rows of those that have any (COPY binary)
    and the positions of its sequences."""

    digest: str
    tables: list[str]
    rows: dict[str, bytes]
    sequences: dict[str, tuple[int, bool]]

    @classmethod
    def read(cls, conninfo: str) -> "Snapshot":
        with psycopg.connect(conninfo) as connection:
            if connection.execute(OTHER_KINDS).fetchone() != (0,):
                raise NotRecyclable("materialised views, partitioned or foreign tables: not restored by copying rows")
            tables = [table for (table,) in connection.execute(TABLES).fetchall()]
            rows = {}
            for table in tables:
                if not connection.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.SQL(table))).fetchone()[0]:
                    continue
                data = bytearray()
                with connection.cursor().copy(sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.SQL(table))) as copy:
                    for block in copy:
                        data += block
                rows[table] = bytes(data)
            sequences = {}
            for (sequence,) in connection.execute(SEQUENCES).fetchall():
                found = connection.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(sql.SQL(sequence))).fetchone()
                assert found is not None
                sequences[sequence] = (int(found[0]), bool(found[1]))
            return cls(schema_digest(connection), tables, rows, sequences)

    def restore(self, conninfo: str, database: str) -> None:
        """Give `database` (at `conninfo`) the snapshot's rows and sequence positions, in one
        transaction; NotRecyclable when its schema is no longer the template's."""
        with psycopg.connect(conninfo, autocommit=True) as connection:
            # What a test left connected goes, as DROP DATABASE ... WITH (FORCE) would see to.
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
            if schema_digest(connection) != self.digest:
                raise NotRecyclable(f"{database}: its schema is no longer its template's")
            connection.execute("SET lock_timeout = '5s'")
            with connection.transaction():
                # Rows as they were: no trigger fires, no foreign key is checked again.
                connection.execute("SET LOCAL session_replication_role = replica")
                connection.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.SQL(t) for t in self.tables)))
                for table, data in self.rows.items():
                    with connection.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.SQL(table))) as copy:
                        copy.write(data)
                for sequence, (value, called) in self.sequences.items():
                    connection.execute("SELECT setval(%s, %s, %s)", (sequence, value, called))
