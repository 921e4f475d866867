/**
 * Setup file of the node test project (vitest.config.ts). Tests call route
 * handlers, server actions and pages in this process, outside a Next.js
 * request, where the real `next/headers` throws: it answers instead from the
 * request state actAs() sets (nextHeadersMock in tests/helpers/db.ts), so a
 * page or action runs as the person a test names.
 */
import { vi } from 'vitest';

vi.mock('next/headers', async () => (await import('./db')).nextHeadersMock);
