// Shows the error line after a refused login (the broker redirects to login.html?failed).
'use strict';
if (new URLSearchParams(location.search).has('failed')) {
  document.getElementById('failed').hidden = false;
}
