/** Discussion components for lab pages: threads, pin buttons, pinned-channel lists. */
export { CommentThread, type CommentThreadProps } from './CommentThread';
export { PinButton, type PinButtonProps } from './PinButton';
export { PinnedChannels, type PinnedChannelsProps } from './PinnedChannels';
export { discussionHref } from './links';
