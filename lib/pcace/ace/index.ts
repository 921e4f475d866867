/** One entry point for both ACE flavours. */
import { aceAcepack } from './acepack';
import { acePcace2021 } from './pcace2021';
import type { AceFlavour, AceOptions, AceResult } from './types';

export type { AceFlavour, AceOptions, AceResult, VarType } from './types';
export { aceAcepack, acePcace2021 };

export const ACE_FLAVOURS: readonly AceFlavour[] = ['acepack', 'pcace-2021'];

export function ace(flavour: AceFlavour, x: Float64Array[], y: Float64Array, options?: AceOptions): AceResult {
  return flavour === 'pcace-2021' ? acePcace2021(x, y, options) : aceAcepack(x, y, options);
}
