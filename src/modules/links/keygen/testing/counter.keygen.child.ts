/**
 * Child process for counter.keygen.test.ts: leases counter values from a shared database.
 * Usage: node --import tsx counter.keygen.child.ts <address> <count> <blockSize>
 * (`address` as `TestDatabase.address` gives it: a SQLite file or a PostgreSQL schema.)
 * Prints "ready", waits for a line on stdin (so siblings start together), takes <count> values
 * and prints them as one JSON array line.
 */
import { createInterface } from 'node:readline';
import { connectTestDatabase } from '../../../../platform/sql/testing/test-databases.js';
import { CounterKeyGenerator } from '../counter.keygen.js';

const [address, countArg, blockArg] = process.argv.slice(2);
if (!address || !countArg || !blockArg) throw new Error('usage: counter.keygen.child.ts <address> <count> <blockSize>');

const sql = connectTestDatabase(address);
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
