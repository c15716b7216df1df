// Entry point of a page-hashing worker thread (see page-hasher.ts): Merkle
// trees of pages, and checkpoint chunks (checkpoint-chunks.ts).
import { workerData, type MessagePort } from 'node:worker_threads';
import { serveHashJobs } from './page-hasher';
import { serveCheckpointChunks } from './checkpoint-chunks';

const { port, ctl } = workerData as { port: MessagePort; ctl: Int32Array };
serveHashJobs(port, ctl, serveCheckpointChunks);
