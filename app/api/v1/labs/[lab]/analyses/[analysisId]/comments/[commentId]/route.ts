import { authoredItemRoutes } from '@/lib/server/authored-items';
import { deleteComment, editComment } from '@/lib/server/comments';

/**
 * PATCH …/comments/:commentId — JSON { body }; the author only.
 * DELETE … — the author, or a lab owner.
 */
const routes = authoredItemRoutes({ param: 'commentId', key: 'comment', edit: editComment, remove: deleteComment });

export const PATCH = routes.PATCH;
export const DELETE = routes.DELETE;
