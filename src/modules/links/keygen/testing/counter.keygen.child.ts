/**
 * Child process for counter.keygen.test.ts: leases counter values from a shared SQLite file.
 * Usage: node --import tsx counter.keygen.child.ts <file> <count> <blockSize>
 * Prints "ready", waits for a line on stdin (so siblings start together), takes <count> values
 * and prints them as one JSON array line.
 */
import { createInterface } from 'node:readline';
import { SqliteDatabase } from '../../../../platform/sql/sqlite/sqlite-database.js';
import { CounterKeyGenerator } from '../counter.keygen.js';

const [file, countArg, blockArg] = process.argv.slice(2);
if (!file || !countArg || !blockArg) throw new Error('usage: counter.keygen.child.ts <file> <count> <blockSize>');

const sql = new SqliteDatabase({ filename: file });
const generator = new CounterKeyGenerator(sql, { blockSize: Number(blockArg) });
const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
process.stdout.write('ready\n');
await go;
lines.close();

const values: number[] = [];
for (let i = 0; i < Number(countArg); i++) values.push(Number(await generator.nextValue()));
process.stdout.write(`${JSON.stringify(values)}\n`);
await sql.close();
