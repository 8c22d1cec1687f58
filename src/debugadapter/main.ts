// dist/adapter.js: the debug adapter on stdin/stdout.
import { runAdapter } from './stdio';

runAdapter();
