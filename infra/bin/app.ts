import { App } from 'aws-cdk-lib';
import { environments, parseStage } from '../config/environments.ts';
import { addFlowlink } from '../flowlink-app.ts';

// The only place that reads context or the environment: `cdk synth|deploy -c stage=dev|staging|prod`.
const app = new App();
addFlowlink(app, environments[parseStage(app.node.tryGetContext('stage'))]);
app.synth();
