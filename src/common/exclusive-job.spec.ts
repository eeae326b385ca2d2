import { Logger } from '@nestjs/common';
import { ExclusiveJob } from './exclusive-job.js';

describe('ExclusiveJob', () => {
  const logger = () => ({ log: jest.fn(), warn: jest.fn() }) as unknown as Logger & { log: jest.Mock; warn: jest.Mock };

  it('skips a tick while the previous run is going', async () => {
    const job = new ExclusiveJob(logger(), 'sweep');
    let release!: () => void;
    const work = jest.fn(() => new Promise<undefined>((r) => (release = () => r(undefined))));
    const first = job.run(work);
    await job.run(work);
    expect(work).toHaveBeenCalledTimes(1);
    release();
    await first;
    await job.run(async () => undefined);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('logs what was done, and nothing when there was nothing', async () => {
    const log = logger();
    const job = new ExclusiveJob(log, 'sweep');
    await job.run(async () => undefined);
    expect(log.log).not.toHaveBeenCalled();
    await job.run(async () => '3 purged');
    expect(log.log).toHaveBeenCalledWith('sweep: 3 purged');
  });

  it('turns a failure into a warning and runs again next time', async () => {
    const log = logger();
    const job = new ExclusiveJob(log, 'sweep');
    await expect(job.run(async () => Promise.reject(new Error('db down')))).resolves.toBeUndefined();
    expect(log.warn).toHaveBeenCalledWith('sweep failed: db down');
    const again = jest.fn(async () => undefined);
    await job.run(again);
    expect(again).toHaveBeenCalled();
  });
});
