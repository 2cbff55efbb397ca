// `npm start` helper extension. Opening the sample through the workbench's own "open file" path
// races the extension registry (a fresh window shows *.kho.json as text), so instead this runs
// once the window is up: it opens $KHO_START_OPEN with the KHO Inspector editor and shows the
// KHO view container, so the tree and the map are both visible.
const vscode = require('vscode');

exports.activate = async function activate() {
  const file = process.env.KHO_START_OPEN;
  if (!file) return;
  try {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'khoInspector.dump');
    await vscode.commands.executeCommand('workbench.view.extension.kho');
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not open ${file} in KHO Inspector: ${e?.message ?? e}`);
  }
};

exports.deactivate = function deactivate() {};
