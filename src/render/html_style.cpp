#include "render/html_style.h"

namespace maskviz::html {

const char* const kStyle = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#111;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .3em;border-bottom:1px solid #ccc}h3{font-size:1.05em;margin:1em 0 .3em}
.dim,.meta{color:#555}.warn{color:#8a3b00;font-weight:600}.differs{color:#8a3b00}.same{color:#1b5e20}
figure{margin:.6em 0 1.2em}figcaption{font-weight:600;margin-bottom:.3em}
.panels{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:flex-start}.panel .cap,.cap{font-size:12px;color:#333}
.seq{margin:.4em 0}.seqlabel{font-size:12px;font-weight:600}.legends{display:flex;flex-wrap:wrap;gap:4px 24px}
.scroll{overflow-x:auto}svg text{font:10px system-ui,sans-serif;fill:#222}svg .ax{font-size:9px;fill:#444}
.hm rect[data-v]:hover,.timeline rect[data-v]:hover,.attention rect[data-v]:hover,.loss rect[data-v]:hover{stroke:#000;stroke-width:1.5}
.masked-step{pointer-events:none;stroke:#000;stroke-width:.6}.padding-step{stroke:#d55e00;stroke-width:1.4;stroke-dasharray:3 2;pointer-events:none}
.token{fill:#fff;stroke:#888}.tk{font-size:11px;font-weight:700;pointer-events:none;paint-order:stroke;stroke:#fff;stroke-width:3px}
.layer-box rect{fill:#f4f4f4;stroke:#444}.layer-box.warn rect{fill:#fff1e6;stroke:#d55e00;stroke-width:2}
.layer-box .nm{font-weight:700;font-size:12px}.layer-box .ty,.layer-box .ma{font-size:10px}.glyph{font-size:14px;fill:#000}
.flow{stroke:#555;stroke-width:1.4;fill:none}.lane{stroke:#000;stroke-width:3}
.carried{stroke:#d55e00;stroke-width:1.6;fill:none;stroke-dasharray:5 3}
.node rect{fill:#fff;stroke:#333}.node.masked rect{fill:url(#masked-hatch);stroke:#d55e00;stroke-width:1.5}.discarded{opacity:.35}
.counted{fill:#0072b2}.left-out{stroke:#555;stroke-width:.6}.bar{fill:#0072b2}.term.masked .bar{fill:url(#masked-hatch);stroke:#555;stroke-width:1}.base{stroke:#333}
.gradients .panel .cap{max-width:440px}.actions{margin:.2em 0;padding-left:1.2em}.story{background:#f6f6f6;padding:.5em .8em;border-left:4px solid #0072b2}
#switch{margin:.6em 0}#switch button{font:inherit;margin-right:.4em}
#tip{position:absolute;background:#111;color:#fff;padding:2px 6px;border-radius:3px;font:12px monospace;pointer-events:none;white-space:nowrap}
body[data-show=masked] .run-unmasked,body[data-show=unmasked] .run-masked{display:none}
@media print{#switch,#tip{display:none}.scroll{overflow:visible}section{break-inside:avoid-page}}
)css";

const char* const kScript = R"js(
(function(){
var tip=document.getElementById('tip');
function where(el){
  var svg=el.closest('svg'),d=svg?svg.dataset:{},axes=(d.axes||'').split(','),shape=(d.shape||'').split(',').map(Number);
  var who=d.layer||'';if(d.run&&d.run!==d.layer)who+=' · '+d.run;if(d.b!==undefined)who+=' · b='+d.b;
  if(el.dataset.what)return who+' · '+el.dataset.what;
  var i=Number(el.dataset.i),parts=[];
  for(var a=axes.length-1;a>=0;a--){var n=shape[a]||1;parts.unshift(axes[a]+'='+(i%n));i=Math.floor(i/n);}
  return who+' · '+parts.join(' ');
}
document.addEventListener('mouseover',function(e){
  var el=e.target&&e.target.closest?e.target.closest('[data-v]'):null;
  if(!el){tip.hidden=true;return;}
  tip.textContent=where(el)+': '+el.dataset.v;tip.hidden=false;
  tip.style.left=(e.pageX+12)+'px';tip.style.top=(e.pageY+12)+'px';
});
var bar=document.getElementById('switch');bar.hidden=false;
bar.addEventListener('click',function(e){var b=e.target.closest('button');if(b)document.body.dataset.show=b.dataset.show;});
})();
)js";

}  // namespace maskviz::html
