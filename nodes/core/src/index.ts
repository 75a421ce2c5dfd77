import { definePackage } from '@waymark/sdk';
import computed from './computed.js';
import condition from './condition.js';
import date from './date.js';
import event from './event.js';
import exit from './exit.js';
import respond from './respond.js';
import runFailed from './run-failed.js';
import schedule from './schedule.js';
import segment from './segment.js';
import split from './split.js';
import wait from './wait.js';
import waitForEvent from './wait-for-event.js';
import webhook from './webhook.js';

/** Triggers and flow: the nodes every journey is drawn with. */
export default definePackage({
  name: '@waymark/nodes-core',
  version: '0.1.0',
  nodes: [
    webhook,
    event,
    segment,
    computed,
    schedule,
    date,
    runFailed,
    condition,
    split,
    wait,
    waitForEvent,
    respond,
    exit,
  ],
});
