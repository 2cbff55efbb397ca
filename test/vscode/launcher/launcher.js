// `npm start` helper extension. Opening the sample through the workbench's own "open file" path
// races the extension registry (a fresh window shows *.kho.json as text), so instead this runs
// once the window is up: it opens $KHO_START_OPEN with the KHO Inspector editor and shows the
// KHO view container, so the tree and the map are both visible.
const vscode = require('vscode');

const VIEW_TYPE = 'khoInspector.dump';

function openedInKhoEditor(uri) {
  return vscode.window.tabGroups.all.some((g) =>
    g.tabs.some(
      (t) =>
        t.input instanceof vscode.TabInputCustom &&
        t.input.viewType === VIEW_TYPE &&
        t.input.uri.toString() === uri.toString(),
    ),
  );
}

exports.activate = async function activate() {
  const file = process.env.KHO_START_OPEN;
  if (!file) return;
  const uri = vscode.Uri.file(file);
  let lastError;
  // The custom editor can register a moment after startup: try for a while.
  for (let attempt = 0; attempt < 20 && !openedInKhoEditor(uri); attempt++) {
    try {
      await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
    } catch (e) {
      lastError = e;
    }
    if (!openedInKhoEditor(uri)) await new Promise((r) => setTimeout(r, 500));
  }
  if (!openedInKhoEditor(uri)) {
    void vscode.window.showErrorMessage(
      `Could not open ${file} in KHO Inspector${lastError ? `: ${lastError.message ?? lastError}` : ''}`,
    );
    return;
  }
  await vscode.commands.executeCommand('workbench.view.extension.kho');
};

exports.deactivate = function deactivate() {};
