/** How a model process ends when it does not return a result. */
import { PcaceInputError } from '../../pcace/validate';

/**
 * The model broke a limit (memory, time of one call, time of the job) and its
 * process was killed. An input error: the same model on the same data would
 * break it again, so the task fails instead of going to another worker.
 */
export class ModelLimitExceeded extends PcaceInputError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLimitExceeded';
  }
}

/** The caller asked the process to stop (cancel, lost lease); it was killed. */
export class SandboxStopped extends Error {
  constructor() {
    super('the model process was stopped');
    this.name = 'SandboxStopped';
  }
}

/** The process died on its own (a crash of the runtime, a signal from outside). */
export class SandboxCrashed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxCrashed';
  }
}
