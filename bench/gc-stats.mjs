// Imported by every bench server: its garbage collector's pauses so far, sent to bench/run.mjs when it asks
// (IPC message 'gc'), so each run can report what the GC cost beside req/s and CPU.
import { constants, PerformanceObserver } from 'node:perf_hooks';

const totals = { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      totals.scavenges++;
      totals.scavengeMs += e.duration;
    } else if (
      e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR ||
      e.detail.kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL
    ) {
      totals.majors++;
      totals.majorMs += e.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });
process.on('message', (m) => m === 'gc' && process.send?.({ gc: { ...totals } }));
