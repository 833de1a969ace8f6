// The executor's infrastructure failures (a function's own misbehaviour is a CallOutcome status,
// never one of these). They are declared with every other failure in ../errors; this module only
// names the ones the executor throws, so its files need not reach across layers for them.
export { dockerFailed, engineBusy, engineStopped, imageNoCommand, imagePullFailed, launcherMissing } from '../errors';
