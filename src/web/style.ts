// The console's one stylesheet, served as /static/console.css (a file of its own: the CSP allows no inline style).
export const CONSOLE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f4f5f7; }
nav { display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #1d2330; color: #fff; }
nav a { color: #cfe0ff; text-decoration: none; } nav .brand { font-weight: 700; }
nav .who { margin-left: auto; color: #c4c9d4; } nav form { margin: 0; }
main { padding: 16px; }
h1 { font-size: 18px; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6eb; white-space: nowrap; }
td.what { white-space: normal; font-family: ui-monospace, monospace; }
th { background: #eceff3; position: sticky; top: 0; }
tr.live td { background: #eefaf0; }
.badge { padding: 1px 6px; border-radius: 8px; font-size: 12px; background: #dde1e7; }
.badge.live { background: #1f9d46; color: #fff; } .badge.interrupted { background: #d9822b; color: #fff; }
.login { max-width: 340px; margin: 60px auto; background: #fff; padding: 24px; border-radius: 6px; box-shadow: 0 1px 4px #0002; }
.login.wide { max-width: 720px; margin: 20px 0; } .login textarea, .login select { width: 100%; font-family: monospace; }
pre.cert { white-space: pre-wrap; word-break: break-all; background: #fff; padding: 8px; }
.login.sso { margin-top: -40px; text-align: center; }
.login label { display: block; margin: 12px 0 4px; } .login input { width: 100%; padding: 6px; font-size: 14px; }
button { margin-top: 16px; padding: 6px 14px; font-size: 14px; cursor: pointer; }
nav button { margin: 0; padding: 2px 10px; }
.error { color: #b00020; margin: 8px 0; } .notice { color: #0a6b2e; margin: 8px 0; }
h2 { font-size: 16px; margin: 20px 0 8px; } h3 { font-size: 14px; margin: 12px 0 4px; }
table.facts { width: auto; } table.facts th { position: static; }
td.hash { font-family: ui-monospace, monospace; font-size: 12px; }
pre.typed { background: #1d2330; color: #e8ebf0; padding: 8px 12px; margin: 0; white-space: pre-wrap; }
p.nothing-typed { color: #6b7280; font-style: italic; margin: 0; }
.player, .replay-controls { max-width: 960px; }
.replay-controls { display: flex; gap: 16px; align-items: center; margin: 4px 0; font-size: 13px; } .replay-status { color: #4a5263; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin: 0 0 12px; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: #4a5263; } .filters input, .filters select { padding: 3px 4px; font-size: 13px; }
.filters input[type=number] { width: 80px; } .filters button { margin: 0; } .count { margin: 4px 0 8px; color: #4a5263; }
.badge.sealed { background: #1f9d46; color: #fff; } .badge.failed { background: #b00020; color: #fff; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 0 0 12px; } form.filters button { margin: 0; }
form.filters input[name=q] { width: 420px; padding: 6px; font-size: 14px; }
mark { background: #ffe066; padding: 0 1px; } td.hit { max-width: 640px; }
.verdict { font-weight: 700; } .verdict.intact { color: #1f9d46; } .verdict.broken { color: #b00020; }
tr.warning td { background: #fff4e5; } .more { color: #8a5a00; }
.actions { margin: 12px 0; } .note { color: #5a6270; }
a.button { display: inline-block; padding: 6px 14px; background: #1d2330; color: #fff; border-radius: 4px; text-decoration: none; }
form.action { display: flex; gap: 8px; align-items: center; margin: 8px 0; } form.action input { width: 320px; padding: 5px; }
form.action button { margin: 0; } button.danger { background: #b00020; color: #fff; border: 0; border-radius: 4px; }
`;
