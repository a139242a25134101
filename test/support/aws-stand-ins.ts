/**
 * KMS, Secrets Manager and EventBridge cannot run here: these stand-ins answer the production SDK clients'
 * commands in-process, as a middleware at the end of the client's stack, so everything before it (the policy
 * check, the command's own validation, retries, signing) runs as in AWS. They keep only the behaviour the code
 * relies on: KMS binds a data key to its key and encryption context, Secrets Manager knows one secret, and
 * EventBridge hands each entry to the test's event log.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ConnectionEvent } from '../../shared/events/connection-events.js';
import { STAND_IN } from './iam/stack-policies.js';

type Input = Record<string, unknown>;
type Answer = (command: string, input: Input) => Record<string, unknown>;

const CLIENT_CONFIG = {
  region: STAND_IN.region,
  credentials: { accessKeyId: 'stand-in', secretAccessKey: 'stand-in' },
  maxAttempts: 1,
};

/** An error as the SDK would throw it for a service's answer. */
function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function answeredBy<T extends { middlewareStack: unknown }>(client: T, answer: Answer): T {
  (client.middlewareStack as { add: (...args: unknown[]) => void }).add(
    (_next: unknown, context: { commandName?: string }) => async (args: { input: Input }) => ({
      output: {
        $metadata: { httpStatusCode: 200 },
        ...answer(String(context.commandName).replace(/Command$/, ''), args.input),
      },
      response: { statusCode: 200, headers: {} },
    }),
    { step: 'deserialize', name: 'awsStandIn', priority: 'high' },
  );
  return client;
}

/** One KMS key: data keys are wrapped with AES-GCM under a master key, the key ARN and context as AAD. */
export class KmsStandIn {
  readonly #master = randomBytes(32);
  readonly keyArn: string;

  constructor(keyArn: string) {
    this.keyArn = keyArn;
  }

  client(): KMSClient {
    return answeredBy(new KMSClient(CLIENT_CONFIG), (command, input) => {
      if (command === 'GenerateDataKey') return this.#generate(input);
      if (command === 'Decrypt') return this.#decrypt(input);
      throw serviceError('UnsupportedOperationException', `the KMS stand-in does not do ${command}`);
    });
  }

  #aad(keyArn: string, context: unknown): Buffer {
    const entries = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) =>
      a.localeCompare(b),
    );
    return Buffer.from(JSON.stringify([keyArn, entries]));
  }

  #generate(input: Input) {
    if (input.KeyId !== this.keyArn) throw serviceError('NotFoundException', `no key ${String(input.KeyId)}`);
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#master, iv).setAAD(
      this.#aad(this.keyArn, input.EncryptionContext),
    );
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), sealed]);
    return { KeyId: this.keyArn, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(blob) };
  }

  #decrypt(input: Input) {
    if (input.KeyId !== undefined && input.KeyId !== this.keyArn) {
      throw serviceError('IncorrectKeyException', 'the ciphertext was not encrypted under this key');
    }
    const blob = Buffer.from(input.CiphertextBlob as Uint8Array);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#master, blob.subarray(0, 12))
        .setAAD(this.#aad(this.keyArn, input.EncryptionContext))
        .setAuthTag(blob.subarray(12, 28));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
      return { KeyId: this.keyArn, Plaintext: new Uint8Array(plaintext) };
    } catch {
      throw serviceError(
        'InvalidCiphertextException',
        'the ciphertext or its encryption context is not valid',
      );
    }
  }
}

/** Secrets Manager holding the one secret (by its ARN). */
export function secretsManagerStandIn(secretArn: string, secretString: () => string): SecretsManagerClient {
  return answeredBy(new SecretsManagerClient(CLIENT_CONFIG), (command, input) => {
    if (command !== 'GetSecretValue') {
      throw serviceError('InvalidRequestException', `the Secrets Manager stand-in does not do ${command}`);
    }
    if (input.SecretId !== secretArn) throw serviceError('ResourceNotFoundException', 'no such secret');
    return {
      ARN: secretArn,
      Name: secretArn.split(':').at(-1),
      SecretString: secretString(),
      VersionId: 'v1',
    };
  });
}

/** An entry as the bus received it (what a rule matches on: source and detail-type). */
export type BusEntry = {
  source: string | undefined;
  detailType: string | undefined;
  detail: ConnectionEvent;
};

/** EventBridge with the one bus: each entry's detail goes to `deliver`, as a rule to the test would. */
export function eventBridgeStandIn(
  busName: string,
  deliver: (event: ConnectionEvent, entry: BusEntry) => Promise<void>,
): EventBridgeClient {
  return answeredBy(new EventBridgeClient(CLIENT_CONFIG), (command, input) => {
    if (command !== 'PutEvents')
      throw serviceError('ValidationException', `the EventBridge stand-in does not do ${command}`);
    const entries = input.Entries as {
      EventBusName?: string;
      Source?: string;
      DetailType?: string;
      Detail?: string;
    }[];
    const results = entries.map((entry) => {
      if (entry.EventBusName !== busName)
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'no such bus' };
      const detail = JSON.parse(entry.Detail ?? '{}') as ConnectionEvent;
      void deliver(detail, { source: entry.Source, detailType: entry.DetailType, detail });
      return { EventId: randomUUID() };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  });
}
