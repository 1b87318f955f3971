#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so operators and Lambdas share one source.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
