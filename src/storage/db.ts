/**
 * A better-sqlite3 connection to the node's database for triggers, object storage, function
 * metrics and secrets, with the store's settings (WAL, synchronous=NORMAL: survives kill -9 of the
 * process). Each adapter on it applies its own migrations; the store need not have opened the file.
 */
import Database from 'better-sqlite3';

export function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
