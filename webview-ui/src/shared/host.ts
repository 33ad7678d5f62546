/** The model editor webview's channel (see ./channel.ts). */
import { isExtensionToWebview, type ExtensionToWebview, type ModelEditorState, type WebviewToExtension } from '../../../src/protocol/messages';
import { createChannel } from './channel';

const channel = createChannel<WebviewToExtension, ExtensionToWebview, ModelEditorState>(isExtensionToWebview);

export const postToExtension = channel.post;
export const onExtensionMessage = channel.onMessage;
export const saveState = channel.saveState;
export const savedState = channel.savedState;
