/** The new-analysis form's default class index: from the dataset's digit or its class folder's name. */
import { describe, expect, it } from 'vitest';
import { suggestedClass } from '../../app/labs/[lab]/analyses/new/form-spec';

const CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

describe('suggestedClass', () => {
  it('maps a class folder name to the model card’s class index', () => {
    expect(suggestedClass({ digit: null, className: 'cat' }, { outputs: 10, classes: CIFAR })).toBe('3');
    expect(suggestedClass({ digit: null, className: ' Dog ' }, { outputs: 10, classes: CIFAR })).toBe('5');
  });

  it('reads a number leading the folder name, and MNIST digits', () => {
    expect(suggestedClass({ digit: null, className: '07_horse' }, { outputs: 10, classes: null })).toBe('7');
    expect(suggestedClass({ digit: null, className: '9' }, { outputs: 10, classes: null })).toBe('9');
    expect(suggestedClass({ digit: 3, className: '3' }, { outputs: 10, classes: null })).toBe('3');
  });

  it('suggests nothing it cannot justify', () => {
    expect(suggestedClass({ digit: null, className: 'zebra' }, { outputs: 10, classes: CIFAR })).toBeNull();
    expect(suggestedClass({ digit: null, className: 'cats2' }, { outputs: 10, classes: null })).toBeNull();
    expect(suggestedClass({ digit: null, className: '12' }, { outputs: 10, classes: null })).toBeNull(); // no such output
    expect(suggestedClass({ digit: null, className: null }, { outputs: 10, classes: CIFAR })).toBeNull();
    expect(suggestedClass(undefined, { outputs: 10, classes: CIFAR })).toBeNull();
  });
});
