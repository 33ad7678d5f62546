/** The results webview's channel (see ../shared/channel.ts): it keeps the run file path as its state. */
import { isProfileToWebview, type ProfileToExtension, type ProfileToWebview, type ProfileWebviewState } from '../../../src/protocol/messages';
import { createChannel } from '../shared/channel';

const channel = createChannel<ProfileToExtension, ProfileToWebview, ProfileWebviewState>(isProfileToWebview);

export const postToExtension = channel.post;
export const saveState = channel.saveState;
export const onExtensionMessage = channel.onMessage;
