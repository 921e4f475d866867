import { authoredItemRoutes } from '@/lib/server/authored-items';
import { editPin, unpin } from '@/lib/server/pins';

/**
 * PATCH …/pins/:pinId — JSON { note }; the person who pinned only.
 * DELETE … — unpin: the person who pinned, or a lab owner.
 */
const routes = authoredItemRoutes({ param: 'pinId', key: 'pin', edit: editPin, remove: unpin });

export const PATCH = routes.PATCH;
export const DELETE = routes.DELETE;
