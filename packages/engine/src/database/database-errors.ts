import { AtelierError } from "@atelier/core";

/** The database cannot be opened or reached (bad path, unreadable file, server down, bad URL). */
export class DatabaseUnavailableError extends AtelierError {
  constructor(location: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("database_unavailable", `Cannot open the database at ${location}: ${reason}`, {
      status: 503,
      details: { location },
      cause,
    });
  }
}

/** The database was migrated by a newer Atelier; running older code on it could corrupt it. */
export class DatabaseNewerThanCodeError extends AtelierError {
  constructor(location: string, unknownMigrations: { id: number; name: string }[], latestKnown: number) {
    const list = unknownMigrations.map((m) => `${m.id} (${m.name})`).join(", ");
    super(
      "database_newer_than_code",
      `The database at ${location} has migrations this version of Atelier does not know: ${list}; ` +
        `this version knows migrations up to ${latestKnown}. Upgrade Atelier or use another database.`,
      { status: 409, details: { location, unknown_migrations: unknownMigrations, latest_known: latestKnown } },
    );
  }
}

/** A schema migration failed; its changes were rolled back. */
export class MigrationFailedError extends AtelierError {
  constructor(location: string, migration: { id: number; name: string }, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "migration_failed",
      `Migration ${migration.id} (${migration.name}) failed on the database at ${location}: ${reason}`,
      { status: 500, details: { location, migration_id: migration.id, migration_name: migration.name }, cause },
    );
  }
}
