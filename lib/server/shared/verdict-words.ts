/**
 * A verdict rule in the few words a chart legend has room for, the same on
 * every page, in every exported chart and in the compare payloads (pure:
 * server and client; worded beside the rule's full text in lib/pcace/verdicts.ts).
 */
export { ruleShort } from '../../pcace/verdicts';
