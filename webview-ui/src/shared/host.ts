/** The overview webview's channel (see ./channel.ts). */
import { isExtensionToWebview, type ExtensionToWebview, type WebviewToExtension } from '../../../src/protocol/messages';
import { createChannel } from './channel';

const channel = createChannel<WebviewToExtension, ExtensionToWebview, never>(isExtensionToWebview);

export const postToExtension = channel.post;
export const onExtensionMessage = channel.onMessage;
