import { dropLeftovers } from './db';

process.env.NODE_ENV = 'test';

/** Mocha root hooks: after every test file has run, drop the databases the run created. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await dropLeftovers();
  },
};
