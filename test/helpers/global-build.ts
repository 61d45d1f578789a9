import { ensureBuilt } from './build';

/**
 * vitest globalSetup of the projects that run the built app (http, e2e): one `next build` before
 * any suite starts. Built inside a suite's beforeAll instead, a slow machine could spend the
 * whole hook timeout on the build and skip every test of the file.
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
