import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import {
  ANALYTICS_DUE_INDEX,
  DUE_INDEX,
  OPEN_ID_INDEX,
  TABLE_KEY,
  TTL_ATTRIBUTE,
} from '../shared/store/table-schema.js';

export interface ConnectionsTableProps {
  readonly encryptionKey: IKey;
}

/** Item-level DynamoDB actions a function can be granted on the table. */
export type ItemAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'BatchWriteItem';

/** The table's global secondary indexes, by name. */
export type TableIndex = typeof DUE_INDEX.name | typeof OPEN_ID_INDEX.name | typeof ANALYTICS_DUE_INDEX.name;

const READ_ONLY_ACTIONS: ReadonlySet<ItemAction> = new Set(['GetItem', 'ConditionCheckItem']);

/**
 * The one table: OAuth states, launch tickets and connections, shaped as `shared/store/table-schema.ts` says.
 * Deletion-protected and retained: it holds every user's TikTok connection.
 */
export class ConnectionsTable extends Table {
  readonly #key: IKey;

  constructor(scope: Construct, id: string, props: ConnectionsTableProps) {
    super(scope, id, {
      partitionKey: { name: TABLE_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.#key = props.encryptionKey;

    this.addGlobalSecondaryIndex({
      indexName: DUE_INDEX.name,
      partitionKey: { name: DUE_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: DUE_INDEX.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.addGlobalSecondaryIndex({
      indexName: OPEN_ID_INDEX.name,
      partitionKey: { name: OPEN_ID_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OPEN_ID_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.addGlobalSecondaryIndex({
      indexName: ANALYTICS_DUE_INDEX.name,
      partitionKey: { name: ANALYTICS_DUE_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ANALYTICS_DUE_INDEX.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  /**
   * Exactly these actions on the base table (no index access, no Scan), plus what DynamoDB needs of the
   * table's KMS key on the caller's behalf.
   * A TransactWriteItems call is authorised per item, by the action of each item (Put, Update, Delete...).
   */
  grantItemActions(grantee: IGrantable, ...actions: ItemAction[]): Grant {
    this.#grantKeyThroughDynamoDb(
      grantee,
      actions.some((action) => !READ_ONLY_ACTIONS.has(action)),
    );
    return Grant.addToPrincipal({
      grantee,
      actions: actions.map((action) => `dynamodb:${action}`),
      resourceArns: [this.tableArn],
    });
  }

  /** Query on one index only, or on the base table when no index is named. Never Scan. */
  grantQuery(grantee: IGrantable, index?: TableIndex): Grant {
    this.#grantKeyThroughDynamoDb(grantee, false);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [index === undefined ? this.tableArn : `${this.tableArn}/index/${index}`],
    });
  }

  /** The table's key, for DynamoDB to use on the caller's behalf, and only through it (`kms:ViaService`). */
  #grantKeyThroughDynamoDb(grantee: IGrantable, writes: boolean): void {
    Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : [])],
      resourceArns: [this.#key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
    });
  }
}
