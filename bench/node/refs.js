'use strict';
// Seed the ussd-menu-builder side's references into Redis: tab-separated lines on stdin,
// "reference kind status centre", one hash per compact reference (what one lookup returns).

const readline = require('node:readline');
const { createClient } = require('redis');
const { docKey } = require('./keys');
const { compact } = require('./status_menu');

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/7';

async function main() {
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000 } });
  await redis.connect();
  const batch = redis.multi();
  let count = 0;
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [reference, kind, status, centre = ''] = line.split('\t');
    if (!reference || !kind || !status) continue;
    batch.hSet(docKey(compact(reference)), { reference, kind, status, centre });
    count += 1;
  }
  await batch.exec();
  await redis.quit();
  console.log(`seeded ${count} references`);
}

main().catch((err) => {
  console.error(`seeding failed: ${err.message}`);
  process.exit(1);
});
