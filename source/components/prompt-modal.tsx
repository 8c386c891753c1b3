/**
 * Questions from the SSH layer, rendered as a modal: an unknown host key (type and SHA256 fingerprint, to
 * compare with `ssh-keygen -lf` on the node, and the known_hosts file trusting it writes to) or a password/passphrase (masked; never shown or stored).
 */
import { Box, Text } from 'ink';
import { useState } from 'react';
import type { Prompt, PromptQueue } from '../engine/prompts.js';
import { t } from '../i18n/index.js';
import { sanitizeLine } from '../ui/format.js';
import { padEndW } from '../ui/text-width.js';
import { theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { TextField } from './text-field.js';

type HostKeyPrompt = Extract<Prompt, { kind: 'host-key' }>;
type SecretPrompt = Extract<Prompt, { kind: 'secret' }>;

export function HostKeyModal({
	prompt,
	queue,
	isActive,
}: {
	prompt: HostKeyPrompt;
	queue: PromptQueue;
	isActive: boolean;
}) {
	useKeyBindings('host-key', { yes: () => queue.answer(true), no: () => queue.answer(false) }, { isActive });
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={theme.border.modal} paddingX={1}>
			<Text bold color={theme.text.warning}>
				{t('hostKey.title', { node: prompt.node, host: prompt.host, port: prompt.port })}
			</Text>
			<Text>
				<Text color={theme.text.muted}>{padEndW(t('hostKey.type'), 13)}</Text>
				{prompt.keyType}
			</Text>
			<Text>
				<Text color={theme.text.muted}>{padEndW(t('hostKey.fingerprint'), 13)}</Text>
				<Text color={theme.text.accent}>{prompt.fingerprint}</Text>
			</Text>
			<Text wrap="wrap">
				<Text color={theme.text.muted}>{padEndW(t('hostKey.savedTo'), 13)}</Text>
				{sanitizeLine(prompt.knownHostsFile)}
			</Text>
			<Text color={theme.text.muted} wrap="wrap">
				{t('hostKey.compare')}
			</Text>
			<Text>
				<Text color={theme.text.accent}>y</Text>
				<Text>
					{' '}
					{t('hostKey.trust')}
					{'    '}
				</Text>
				<Text color={theme.text.accent}>{t('confirm.noKeys')}</Text>
				<Text> {t('hostKey.refuse')}</Text>
			</Text>
		</Box>
	);
}

export function SecretModal({
	prompt,
	queue,
	isActive,
}: {
	prompt: SecretPrompt;
	queue: PromptQueue;
	isActive: boolean;
}) {
	const [value, setValue] = useState('');
	useKeyBindings(
		'secret',
		{
			submit: () => queue.answer(value),
			dismiss: () => queue.answer(undefined),
			'delete-char': () => setValue((v) => v.slice(0, -1)),
			'clear-field': () => setValue(''),
		},
		{
			isActive,
			onText: (text) => {
				setValue((v) => v + text);
				return true;
			},
		},
	);
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={theme.border.modal} paddingX={1}>
			<Text bold color={theme.text.warning}>
				{t('secret.title', { what: t(`secret.${prompt.secret}`), node: prompt.node })}
			</Text>
			<Text wrap="wrap">{prompt.message}</Text>
			<Box>
				<Text color={theme.text.muted}>{'> '}</Text>
				<TextField value={value} focused masked />
			</Box>
			<Text color={theme.text.muted}>{t('secret.hint')}</Text>
		</Box>
	);
}
