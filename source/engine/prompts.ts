/**
 * Questions the engine and the SSH layer must ask the operator (an unknown host key, a key passphrase, a
 * password). The TUI renders the head of the queue as a modal; headless runs answer from flags or refuse.
 * No React here.
 */
import { EventEmitter } from 'node:events';

export type Prompt =
	| {
			kind: 'host-key';
			node: string;
			host: string;
			port: number;
			keyType: string;
			fingerprint: string;
			/** The known_hosts file a trusted key is written to (the profile's ssh.knownHostsFile decides). */
			knownHostsFile: string;
	  }
	| { kind: 'secret'; node: string; secret: 'passphrase' | 'password' | 'sudo-password'; message: string };

export type PromptAnswer<P extends Prompt> = P extends { kind: 'host-key' } ? boolean : string | undefined;

interface Pending {
	prompt: Prompt;
	resolve(answer: unknown): void;
}

export class PromptQueue extends EventEmitter<{ change: [] }> {
	private pending: Pending[] = [];

	ask<P extends Prompt>(prompt: P): Promise<PromptAnswer<P>> {
		return new Promise((resolve) => {
			this.pending.push({ prompt, resolve: resolve as (answer: unknown) => void });
			this.emit('change');
		});
	}

	/** The question on screen now, if any. */
	current(): Prompt | undefined {
		return this.pending[0]?.prompt;
	}

	answer(value: boolean | string | undefined): void {
		const head = this.pending.shift();
		if (!head) return;
		head.resolve(value);
		this.emit('change');
	}
}
