import { readFileSync } from 'node:fs';
import { ArnFormat, type CfnElement, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ImportStateMachineProps {
  /** The ASL file in workflows/: the one definition that deploys and runs locally. */
  readonly definitionFile: string;
  /** Each `${Placeholder}` of the definition and the function whose ARN replaces it. */
  readonly functions: Record<string, IFunction>;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * The execution log group's name. Under /aws/vendedlogs/ it needs no entry in the account's
   * CloudWatch Logs resource policy (5,120 characters, shared by every state machine of the account).
   */
  readonly logGroupName?: string;
}

/** The `${Name}` placeholders of an ASL text, sorted. */
export function aslPlaceholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

/**
 * The import workflow deployed from the ASL source in workflows/, verbatim: the file's text becomes
 * the template's DefinitionString and each placeholder a DefinitionSubstitution of a Lambda ARN.
 *
 * Primary course:
 * 1. Reads the definition and refuses it when its placeholders and `functions` differ.
 * 2. Standard workflow with execution logging (ALL, with execution data) and X-Ray tracing.
 * 3. The role may invoke exactly the listed functions (their unqualified ARNs, as the ASL names them).
 * 4. The distributed Map states (LinkRecords, StartDiscovery, ReconcileInventory) run their chunks as child executions
 *    of this state machine: it may start executions of itself, describe and stop them, and redrive
 *    the failed children of a Map Run when the parent is redriven.
 *
 * @example
 * new ImportStateMachine(this, 'ImportWorkflow', { definitionFile, functions: { StoreImportFunctionArn: storeImport }, logRetention, logRemovalPolicy });
 */
export class ImportStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: ImportStateMachineProps) {
    super(scope, id);
    const definition = readFileSync(props.definitionFile, 'utf8');
    const wanted = aslPlaceholders(definition);
    const given = Object.keys(props.functions).sort();
    if (wanted.join() !== given.join()) {
      throw new Error(`${props.definitionFile} has placeholders [${wanted.join(', ')}] but functions were given for [${given.join(', ')}]`);
    }
    const logGroup = new LogGroup(this, 'Logs', { logGroupName: props.logGroupName, retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(Object.entries(props.functions).map(([name, fn]) => [name, fn.functionArn])),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // exact ARNs rather than grantInvoke, whose `<arn>:*` would also allow every version and alias
    this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: Object.values(props.functions).map((fn) => fn.functionArn) }));
    this.grantDistributedMap();
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) and X-Ray PutTraceSegments the CDK adds for logging and ' +
        'tracing: these APIs support no resource-level permissions.',
    });
  }

  /**
   * What a distributed Map needs of its own state machine. A separate Policy, not the role's
   * default one: the state machine depends on the default policy, and these statements name the
   * state machine, which would make a cycle.
   */
  private grantDistributedMap(): void {
    const stack = Stack.of(this);
    const { stateMachineArn, stateMachineName } = this.stateMachine;
    const executions = (pattern: string) => stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}${pattern}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const policy = new Policy(this, 'DistributedMapPolicy', {
      roles: [this.stateMachine.role],
      statements: [
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }),
        // a Map Run's child executions are named <state machine>/<map run label>:<execution>
        new PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions(':*'), executions('/*')] }),
        // a parent's redrive redrives its Map Run's unsuccessful children (as CDK's DistributedMap grants)
        new PolicyStatement({ actions: ['states:RedriveExecution'], resources: [executions('/*')] }),
      ],
    });
    // cdk-nag names the resource as the template has it: region and account literal, the name a GetAtt
    const name = `<${stack.getLogicalId(this.stateMachine.node.defaultChild as CfnElement)}.Name>`;
    for (const pattern of [':*', '/*']) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${stack.account}:execution:${name}${pattern}]`,
        reason:
          'The distributed Maps describe, stop and redrive the executions of this state machine only: its own and their child executions ' +
          '(named <state machine>/<map run>:<execution>), whose names are not known in advance.',
      });
    }
  }
}
