// Every visible string, in English. zh.ts has exactly the same keys (a test checks).
// `{name}` marks a parameter filled in at run time.
export const en = {
  "app.title": "loopscope",
  "app.tagline": "the PyTorch training loop, one phase at a time",
  "lang.toggle": "中文",
  "lang.label": "Language: switch to Chinese",
  "help.button": "Keyboard shortcuts and help",
  "help.title": "How to use loopscope",
  "help.intro":
    "Press Step a few times. Each press runs one real line of the loop on the server and shows what PyTorch changed.",
  "help.shortcuts": "Keyboard shortcuts",
  "help.key.space": "Play / pause",
  "help.key.right": "Step one phase",
  "help.key.shiftRight": "Step one iteration (all five phases)",
  "help.key.r": "Reset the run (same seed, same numbers)",
  "help.key.help": "Show or hide this help",
  "help.key.escape": "Close this help or an error",
  "help.close": "Close",
  "help.read.title": "Reading the picture",
  "help.read.objects":
    "Left: the objects made before the loop. The optimizer's arrows point at the very same parameter boxes as the model's.",
  "help.read.loop": "Middle: the five lines of the loop; the one that just ran is lit.",
  "help.read.graph":
    "Right: the autograd graph torch recorded. Values flow down it in the forward pass, gradients climb back up in backward.",

  "scenario.label": "Scenario",
  "scenario.linear": "Linear regression (SimpleNet)",
  "scenario.mlp": "MLP fitting a sine",
  "scenario.classify": "Two-class classifier",
  "scenario.charlm": "Character language model (bigram)",
  "config.title": "Run settings",
  "config.lr": "Learning rate",
  "config.optimizer": "Optimizer",
  "config.batchSize": "Batch size",
  "config.batchFull": "full batch",
  "config.seed": "Seed",
  "config.device": "Device",
  "config.apply": "Restart with these settings",
  "config.fixFirst": "Correct the marked field; nothing was sent.",
  "config.refused": "The server did not start a run with these settings.",
  "config.problem.required": "{field} needs a value",
  "config.problem.number": "{field} must be a number",
  "config.problem.integer": "{field} must be a whole number",
  "config.problem.gt": "{field} must be greater than {bound}",
  "config.problem.ge": "{field} must be at least {bound}",
  "config.problem.lt": "{field} must be less than {bound}",
  "config.problem.le": "{field} must be at most {bound}",
  "config.problem.enum": "{field} must be one of: {options}",
  "config.problem.batch": "{field} can be at most {bound}, the number of data points",
  "config.problem.unavailable": "{field}: {value} is not available on the server",
  "config.problem.server": "{field} was not accepted: {detail}",
  "optimizer.sgd": "SGD",
  "optimizer.momentum": "SGD + momentum",
  "optimizer.adam": "Adam",
  "optimizer.adamw": "AdamW",

  "controls.step": "Step",
  "controls.stepIteration": "Step iteration",
  "controls.play": "Play",
  "controls.pause": "Pause",
  "controls.reset": "Reset",
  "controls.speed": "Speed",
  "controls.toolbar": "Training controls",
  "speed.phase": "{rate} phases/s",
  "speed.iteration": "{rate} iterations/s",
  "speed.epoch": "{rate} epochs/s",
  "speed.phase.one": "{rate} phase/s",
  "speed.iteration.one": "{rate} iteration/s",
  "speed.epoch.one": "{rate} epoch/s",

  "status.connection": "Connection",
  "status.connecting": "connecting…",
  "status.open": "connected",
  "status.reconnecting": "reconnecting…",
  "status.reconnectingIn": "reconnecting in {s} s",
  "status.closed": "disconnected",
  "status.device": "Device",
  "status.epoch": "Epoch",
  "status.iteration": "Iteration",
  "status.batch": "batch {batch}/{n}",
  "status.loss": "Loss",
  "status.phase": "Phase",
  "status.nextPhase": "next: {phase}",
  "status.none": "—",
  "status.scriptEnded": "the script has ended: nothing runs next",
  "status.switch.label": "Teaching switch",
  "status.switch.skipZeroGrad": "zero_grad() skipped",
  "status.switch.frozen": "frozen: {names}",
  "status.switch.off": "turn off",
  "status.switch.restoreZeroGradName": "Run zero_grad again",
  "status.switch.unfreezeName": "Unfreeze parameters",
  "status.switch.restoreZeroGrad":
    "Call optimizer.zero_grad() again from the next iteration on (the run goes on).",
  "status.switch.unfreeze":
    "Let every parameter train again: the run restarts with the same settings otherwise.",
  "status.diverged":
    "The run diverged: the loss or a parameter became NaN or infinite. Lower the learning rate and restart.",

  "error.title": "The server refused a command",
  "error.pageTitle": "Note from this page",
  "error.field": "field: {field}",
  "error.dismiss": "Dismiss",
  "error.offline": "Not connected: the command was not sent.",
  "error.malformed": "The server sent a frame this page does not understand.",
  "error.unknownScenario":
    "The link names a scenario this page does not have, so the current one runs instead.",

  "phase.forward": "forward",
  "phase.loss": "loss",
  "phase.zero_grad": "zero_grad",
  "phase.backward": "backward",
  "phase.step": "step",

  "loop.title": "Training loop",
  "loop.header": "for epoch in range(epochs):",
  "loop.next": "next",
  "loop.notYet": "not run yet in this iteration",
  "loop.ran.skipped":
    "ran; details skipped (Step iteration or fast play): step by phase to see them",
  "loop.ran.loss": "loss = {loss}",
  "loop.ran.grad": "{name}.grad = {value}",
  "loop.does.forward":
    "model(x) goes through nn.Module.__call__ (hooks, then forward()); every op is recorded in the graph.",
  "loop.does.loss": "The criterion compares y_pred with y; the loss tensor is the graph's root.",
  "loop.does.zero_grad":
    "Clears the .grad of every parameter the optimizer holds, so old gradients do not add up.",
  "loop.does.backward":
    "Walks the graph from loss back to the leaves and writes ∂loss/∂p into each parameter's .grad.",
  "loop.does.step":
    "For every parameter the optimizer holds a reference to, changes it in place using its .grad.",

  "explain.forward": "{chain} ran; y_pred {shape} = {value}",
  "explain.loss": "loss = {criterion}(y_pred, y) = {loss}; autograd recorded {nodes} nodes",
  "explain.zeroGrad.none": "{name}.grad = None",
  "explain.zeroGrad.zero": "{name}.grad = 0",
  "explain.zeroGrad.skipped": "zero_grad() was skipped: the next backward() adds to the old .grad.",
  "explain.backward": "{name}.grad = ∂loss/∂{name} = {value}",
  "explain.step.scalar": "{name}: {before} → {after} ({delta})",
  "explain.step.tensor": "{name} changed in place (mean |Δ| = {delta})",
  "explain.step.skipped": "{name} has no .grad, so step() left it alone",
  "explain.more": "… and {n} more",

  "objects.title": "Objects (set up before the loop)",
  "objects.model": "model",
  "objects.optimizer": "optimizer",
  "objects.criterion": "criterion",
  "objects.value": "value",
  "objects.grad": ".grad",
  "objects.none": "None",
  "objects.paramGroups": "param_groups[{group}]['params']",
  "objects.refNote":
    "These entries are references to the same Parameter objects the model holds (arrows), not copies. That is how step() changes the model without ever being handed it.",
  "objects.notAParameter": "a tensor that is none of the model's parameters",
  "objects.sameObject": "is {name} (same object, id {id})",
  "objects.version": "_version {version}",
  "objects.versionChange": "_version {before} → {after}: changed in place",
  "objects.delta": "Δ {delta}",
  "objects.frozen": "requires_grad=False",
  "objects.moreParams": "{n} parameters",

  "graph.title": "Autograd graph",
  "graph.empty": "The graph appears once the loss has been computed (press Step twice).",
  "graph.fit": "Fit",
  "graph.fitLabel": "Fit the graph to the view at a readable size, following the run",
  "graph.group": "Group by module",
  "graph.legend.data": "data",
  "graph.legend.param": "parameter (leaf)",
  "graph.legend.op": "op (grad_fn)",
  "graph.legend.value": "forward value",
  "graph.legend.grad": "gradient",
  "graph.caption.none": "No phase of this iteration has run yet.",
  "graph.caption.forward":
    "Forward: values flow from x and the parameters towards y_pred, and autograd records each op as a node.",
  "graph.caption.loss": "loss = criterion(y_pred, y) closes the graph; its root is {root}.",
  "graph.caption.zero_grad": "zero_grad() only touches .grad; the graph waits for backward().",
  "graph.caption.backward":
    "backward(): the engine runs the nodes in this order, from the loss back to the leaves; each AccumulateGrad writes a .grad.",
  "graph.caption.step":
    "step() changes the parameters in place; the graph takes no part (backward() already freed it).",
  "graph.zoomHint": "Scroll to zoom, drag to pan.",
  "graph.partialHint":
    "Only part of the graph fits here: the view follows the run. Drag to pan, scroll out to see all of it.",
  "graph.group.expand": "Open {group} ({n} nodes) in place",
  "graph.group.expandParts": "Open {group} ({n} nodes) into its {parts} parts, each folded",
  "graph.group.collapse": "Fold {group} back into one box",
  "graph.group.count": "{n} nodes",
  "graph.group.done": "{done}/{n} ran",
  "graph.groupsHint": "Some modules are folded into a box: click a box to open it in place.",

  "tensor.shape": "shape {shape}",
  "tensor.stats": "min {min} · max {max} · mean {mean} · std {std}",
  "tensor.histogram": "histogram of {n} values",
  "tensor.heatmap": "heatmap of {n} values",
  "tensor.nonFinite": "contains NaN or ∞",

  // ---- charts, time travel, lessons, share and export
  "help.key.left": "Time travel: back one frame (then → goes forward again, until live)",
  "charts.show": "Charts",
  "charts.hide": "Hide charts",
  "loss.title": "Loss per iteration",
  "loss.scale": "y scale",
  "loss.linear": "linear",
  "loss.log": "log",
  "loss.empty": "Each completed iteration adds its loss here (run all five phases once).",
  "loss.axis.iteration": "iteration",
  "loss.latest": "latest {loss}",
  "loss.nonFinite": "{n} × NaN/∞ (marked along the top)",
  "loss.future": "faded: after the frame shown",
  "fit.title": "Fit: the data and the model's prediction",
  "fit.data": "data",
  "fit.batch": "this batch",
  "fit.line": "model: ŷ = w·x + b",
  "fit.curve": "model(x) on a grid",
  "fit.regions": "P(class 1) from the model",
  "fit.class0": "class 0",
  "fit.class1": "class 1",
  "fit.empty": "The fit appears with the run.",
  "landscape.title": "Loss landscape over (w, b)",
  "landscape.path": "path taken (points: {n})",
  "landscape.grad": "∇L (direction only)",
  "landscape.step": "−lr·∇L: the step",
  "landscape.optimum": "optimum",
  "landscape.outside":
    "Points of the path off the plot: {n}. They lie more than a thousand plotted widths away, too far to draw together with the valley.",
  "landscape.valley":
    "Why b creeps while w settles: x is not centred (x ∈ [0, 10), mean {mean}), so the bowl is a long, narrow valley, about {ratio}× steeper across than along its floor. The gradient points almost straight across it, along w, so w settles in a few steps; a learning rate small enough not to overshoot across the valley moves only a tiny bit along it, so b creeps towards {b}.",
  "compare.title": "GD vs SGD vs mini-batch",
  "compare.gd": "GD: {n} points/step",
  "compare.sgd": "SGD: 1 point/step",
  "compare.minibatch": "mini-batch: {n} points/step",
  "compare.legend": "thin: each iteration's loss (its batch); thick: each epoch's mean",
  "compare.axis.epoch": "epoch",
  "compare.loading": "The server is training the three runs…",
  "compare.failed": "The comparison failed: {message}",
  "compare.note":
    "One epoch is one pass over the data: GD takes 1 step per epoch, mini-batch {mini}, SGD {sgd}. More steps, each on less data: faster per epoch, but noisier.",
  "compare.back": "This run's loss",
  "compare.show": "Comparison",
  "timeline.label": "Timeline",
  "timeline.back": "Back one frame",
  "timeline.forward": "Forward one frame",
  "timeline.live": "Live",
  "timeline.position": "Timeline position",
  "timeline.branchLr": "Learning rate for the branch",
  "timeline.frame": "frame {k} of {n}",
  "timeline.phaseFrame": "iteration {iteration} · {phase}",
  "timeline.sessionFrame": "iteration {iteration} · before {phase}",
  "timeline.empty": "Frames are kept here as they arrive; scrub back to see any of them again.",
  "timeline.viewing":
    "Viewing the past: every panel shows this frame as it was. The run itself is at iteration {live}.",
  "timeline.continue": "Continue from here",
  "timeline.lr": "with lr",
  "timeline.lrSame": "same",
  "timeline.rerun":
    "Rewind goes to the start of an iteration: from this frame, iteration {iteration} runs again from its forward phase (the same numbers, recomputed).",
  "timeline.exact":
    "The run goes back to the start of iteration {iteration} exactly; the frames after it are dropped (a new branch).",
  "timeline.outOfHistory":
    "The server no longer keeps iteration {iteration} (it keeps {first}…{last}).",
  "lessons.button": "Lessons",
  "lessons.title": "Lessons that break things",
  "lessons.intro": "Each starts a run with one thing broken on purpose. Watch what goes wrong.",
  "lessons.close": "Close the lesson",
  "lessons.label": "Lesson",
  "lessons.more": "▾ more below: scroll",
  "lessons.closeNote":
    "The lesson ends when you close it (×) or pick another scenario; closing also puts this scenario's default settings back.",
  "lesson.no-zero-grad.title": "Forget zero_grad()",
  "lesson.no-zero-grad.body":
    "optimizer.zero_grad() is skipped. backward() does not overwrite .grad, it adds to it (AccumulateGrad does +=), so after k iterations each .grad holds the sum of k gradients, and step() applies that growing sum.",
  "lesson.no-zero-grad.watch":
    "Run one iteration at a time (its five phases one by one) and watch the .grad boxes: from the second iteration on, a “+=” row under .grad shows g₀ (what .grad already held) + g₁ (this backward’s own gradient) = the new .grad, all three as torch computed them. The steps get larger and the loss jumps about.",
  "lesson.no-zero-grad.action": "Run one iteration, phase by phase",
  "lesson.lr-too-high.title": "Learning rate too high (lr = 0.03)",
  "lesson.lr-too-high.body":
    "Plain gradient descent is stable only while lr × (the curvature across the valley) stays below 2. At 0.03 it is just above: every step overshoots the valley floor a little further than the last, the error grows geometrically, and float32 finally overflows to ∞ and then NaN.",
  "lesson.lr-too-high.watch":
    "Run 300 iterations. The first 16 go one at a time: on the landscape the path jumps from one side of the valley to the other, further out each time, and the plot zooms out to keep it in view. Then the rest run at once: on the log-scale loss chart the loss climbs in a straight line, float32 overflows, and the run is flagged as diverged, with ∞ and NaN written as such.",
  "lesson.lr-too-high.action": "Run 300 iterations",
  "lesson.frozen-bias.title": "A frozen bias",
  "lesson.frozen-bias.body":
    "linear.bias.requires_grad is set to False before the loop. Autograd records no AccumulateGrad node for it, backward() never writes its .grad (it stays None), and step() skips it: the optimizer still holds a reference to it, but has nothing to apply.",
  "lesson.frozen-bias.watch":
    "Step one iteration: the graph has no AccumulateGrad:linear.bias node, the bias keeps its value, and only w moves, so the path on the landscape is a horizontal line.",
  "lesson.frozen-bias.action": "Step one iteration",
  "lesson.batch-sizes.title": "GD vs SGD vs mini-batch",
  "lesson.batch-sizes.body":
    "The notes' table, live: the server trains the same model for 30 epochs three ways. Gradient descent uses all 100 points for each step (accurate, slow), SGD a single point (fast, noisy), mini-batch ten (a balance).",
  "lesson.batch-sizes.watch":
    "On the comparison chart, SGD gets lowest per epoch but never settles; GD is smooth, yet after 30 epochs it is still creeping along the valley floor.",
  "lesson.batch-sizes.action": "Train the three runs",
  "export.button": "Share / export",
  "export.link": "Copy a link to this run",
  "export.copied": "Link copied",
  "export.json": "Recorded run (JSON, {n} frames)",
  "export.json.one": "Recorded run (JSON, {n} frame)",
  "export.svg": "Autograd graph (SVG)",
  "export.png": "Autograd graph (PNG)",
  "export.noGraph": "No graph yet: press Step twice first.",
  "export.linkHint": "The link holds the scenario, its settings and the language.",

  // ---- teaching depth (code pane, model(x), formulas, references, narration)
  "teach.title": "Explain",
  "teach.tabs": "What to explain",
  "teach.tab.math": "Formulas",
  "teach.tab.call": "model(x) unfolded",
  "teach.tab.refs": "One object, two names",

  "teach.code.title": "The program (the real source the server runs)",
  "teach.code.running": "running",
  "teach.code.ran": "just ran",
  "teach.code.next": "next",
  "teach.code.hint": "Hover or focus a name to see what it holds right now.",
  "teach.code.none": "The source appears once the run has started.",

  "teach.hover.notYet": "Not computed yet in this iteration.",
  "teach.hover.module": "A {cls}. Its Parameters ({n} in all) with their current value and .grad.",
  "teach.hover.parameters":
    "A generator over the {n} Parameters, found by walking every module's _parameters. The optimizer was handed these very objects.",
  "teach.hover.optimizer":
    "Holds references to the parameters (not copies), the hyperparameters, and its state.",
  "teach.hover.zeroGrad": "The .grad of every parameter the optimizer holds, as it is now.",
  "teach.hover.step": "The last step(): each parameter before → after, changed in place.",
  "teach.hover.criterion":
    "Calling it computes the loss from y_pred and y, and autograd records that op too.",
  "teach.hover.loss": "A 0-d tensor. Its grad_fn is where backward() starts.",
  "teach.hover.backward": "The .grad of every parameter, as backward() left it.",
  "teach.hover.yPred": "The model's output for this batch.",
  "teach.hover.x": "The inputs of this batch (all the data when there are no batches).",
  "teach.hover.y": "The targets of this batch.",
  "teach.hover.lr":
    "step() reads lr from param_groups every time, so a change takes effect at the next step.",

  "teach.narr.idle":
    "Nothing has run yet, but the objects exist: the model holds {count} parameters ({params}), and the optimizer holds references to those same tensors.",
  "teach.narr.forward":
    "Line {line} ran model(x_batch) on {n} points. Calling the model went through Module.__call__, which ran {chain}; y_pred has shape {shape} and its first value is {first}. Nothing was learned yet: autograd only recorded each op so it can go backward later.",
  "teach.narr.loss":
    "Line {line}: {criterion} compared the {n} predictions with their targets and gave loss = {loss}. It is one number, and its grad_fn, {root}, is the top of the graph backward() will walk down.",
  "teach.narr.zeroGrad":
    "Line {line}: optimizer.zero_grad() set .grad to None on the {count} parameters it holds ({name}.grad was {old}). No parameter moved: only the old gradients are gone, so backward() will not add onto them.",
  "teach.narr.zeroGrad.fresh":
    "Line {line}: optimizer.zero_grad() set .grad to None on the {count} parameters it holds. They were None already (nothing has gone backward yet), so nothing visible changed.",
  "teach.narr.zeroGrad.skipped":
    "Line {line} is commented out: zero_grad() did not run, so {name}.grad still holds {old}, and the next backward() will add this iteration's gradient to it.",
  "teach.narr.backward":
    "Line {line}: loss.backward() ran {nodes} nodes of the graph, from {root} back to the leaves, and wrote each parameter's .grad: {name}.grad = {grad}. The parameters themselves have not changed yet.",
  "teach.narr.backward.neg":
    "The gradient is negative: nudging {name} up would lower the loss, so the step will raise it.",
  "teach.narr.backward.pos":
    "The gradient is positive: nudging {name} up would raise the loss, so the step will lower it.",
  "teach.narr.step.sgd":
    "Line {line}: optimizer.step() moved {name} against its gradient: {name} went {before} → {after}, that is minus lr {lr} times grad {grad}.",
  "teach.narr.step.momentum":
    "Line {line}: optimizer.step() with momentum {mu} moved {name} {before} → {after}. The step follows the running buffer {buf}, which remembers earlier gradients, not this gradient ({grad}) alone.",
  "teach.narr.step.adam":
    "Line {line}: {cls}'s step() updated its running averages for {name} (m = {m}, v = {v}) and moved it {before} → {after}: a step of about lr = {lr} in the direction of −m̂/√v̂, however large the gradient itself was.",
  "teach.narr.step.none":
    "Line {line}: optimizer.step() found no .grad on any parameter, so none of them changed.",
  "teach.narr.step.inPlace":
    "It reached the model's tensors through the references in param_groups: {name}._version went {v0} → {v1}, so the same object was changed in place.",
  "teach.narr.next": "Next: line {line}, {code}",
  "hint.first":
    "New here? Press Step (→) to run the loop's next line, and watch the objects, the graph and the code follow; Play (Space) runs it on its own.",
  "hint.close": "Close the hint",
  "notes.intro":
    "Try it on real torch objects: change the numbers and run them; torch's float32 result stands next to the notes' arithmetic.",
  "notes.pred": "predictions",
  "notes.target": "targets",
  "notes.run": "Run in torch",
  "notes.badList": "Predictions and targets must be numbers separated by commas.",
  "notes.offline": "The server did not answer.",
  "notes.bounds":
    "{field} is out of range: w and grad between −1000 and 1000, lr above 0 and at most 10, at most 8 predictions, as many targets as predictions.",
  "notes.sgd":
    "SGD step: by hand {w} − {lr} × ({grad}) = {hand}; torch's optimizer.step() left w = {torch} (float32).",
  "notes.mse":
    "MSE: by hand ({squares}) / {n} = {hand}; torch's nn.MSELoss() gave {torch} (float32).",
  "notes.stateDict":
    "optimizer.state_dict() saved lr = {saved} and the momentum buffer {buf}; after lr was changed to {changed} and another step, load_state_dict() brought back lr = {restored} and the buffer {bufBack}.",
  "notes.zeroGrad":
    'zero_grad() on a .grad of {grad}: with set_to_none=True (the default since PyTorch 2.0) .grad becomes {none}; with set_to_none=False it becomes {zero}, the notes\' ".grad = 0". None saves the memory of a tensor of zeros, and backward() then writes the new gradient instead of adding to zeros.',
  // Texts that follow what the run really did (overshoot, divergence, a rise, skipped
  // parameters, a run picked up part-way).
  "teach.narr.resumed":
    "Iteration {iteration} (epoch {epoch}), before {next}: the run was picked up here (a rewind, a reset, a branch or a reload), so the values on screen are the ones the model holds now, not a fresh start.",
  "teach.narr.resumed.oldGraph":
    "The graph on screen is still the one built in iteration {previous}; the next forward will build this iteration's own.",
  "teach.narr.resumed.noGraph": "No graph yet: the next forward builds this iteration's.",
  "teach.narr.idle.oldGraph":
    "The graph on screen is left over from before the reset: the parameters are back at their starting values, and the first forward will build a new graph.",
  "teach.narr.step.far":
    "That is a long way, more than {name}'s own size ({before}): from a small start it can be progress, and the next loss will show whether it went past the minimum.",
  "teach.narr.loss.rose":
    "The loss went up, from {previous} to {loss}: the last step made the fit worse, a sign that the learning rate carries the parameters past the minimum.",
  "teach.narr.loss.nonfinite":
    "The loss is {loss}: the numbers have overflowed float32, and once a NaN or ∞ is in the parameters every later loss stays that way.",
  "teach.narr.step.overshoot":
    "Line {line}: optimizer.step() overshot: {name} went {before} → {after}, and its gradient ({grad}) now points the other way and is larger than at the step before, so the last step went past the minimum and landed further from it. lr {lr} is too big for this slope.",
  "teach.narr.step.diverged":
    "Line {line}: optimizer.step() turned {name} from {before} into {after}: the run has diverged, and no later step can bring it back.",
  "teach.narr.step.frozen":
    "{names}: frozen (requires_grad=False), so it has no .grad and step() left it exactly as it was.",
  "teach.narr.step.noGrad":
    "{names}: .grad is None (backward() never reached it), so step() skipped it and it did not move.",
  "landscape.diverging":
    "Each step is too big for this valley: it crosses the floor and lands higher up the far side than it started, so the path zigzags outward instead of settling (a learning rate too big does this, and so do gradients that pile up without zero_grad).",

  "teach.call.empty": "Press Step to run the forward line; the calls torch made will appear here.",
  "teach.call.skipped":
    "model(x) ran in this iteration without a record (Step iteration or fast play skip the details): step phase by phase to see its calls.",
  "teach.call.intro":
    "model(x) does not call forward() directly. Module.__call__ runs the forward pre-hooks, then forward(), then the forward hooks, for every module, nested. The numbers give the order torch ran the hooks (recorded by hooks on each module).",
  "teach.call.pre": "forward pre-hooks",
  "teach.call.hook": "forward hooks",
  "teach.call.returns": "returns {output} {shape}",
  "teach.call.result": "y_pred = the root call's return value, shape {shape}",
  "teach.reg.title": "How parameters() finds the parameters",
  "teach.reg.intro":
    "Assigning a Module or a Parameter to an attribute goes through Module.__setattr__, which files it in a registry: sub-modules in _modules, Parameters in _parameters.",
  "teach.reg.child": "line {line}: self.{name} = … → _modules['{name}']",
  "teach.reg.inside":
    "inside nn.{cls}.__init__: self.{local} = Parameter(…) → _parameters['{local}']",
  "teach.reg.none": "no Parameters of its own",
  "teach.reg.walk":
    "model.parameters() walks the modules in order (a module's own _parameters, then its children's) and yields:",
  "teach.reg.match": "the same order the server read from model.parameters() ✓",
  "teach.reg.mismatch": "the server read a different order: {order}",
  "teach.reg.toOptimizer":
    "These objects are what the optimizer got: optimizer.param_groups[0]['params'].",
  "teach.reg.frozen": "requires_grad=False: still yielded, but it gets no .grad",

  "teach.math.loss": "The loss ({criterion})",
  "teach.math.lossPending": "Appears once the loss line has run in this iteration.",
  "teach.math.lossSkipped":
    "The loss line ran in this iteration, but without its details (Step iteration or fast play skips them). Step phase by phase to see this formula.",
  "teach.math.lossCheck":
    "torch (float32): {torch}; the exact mean of torch's float32 terms: {exact}.",
  "teach.math.lossSame": "Rounded to float32 they are the same number ✓",
  "teach.math.lossDiffers":
    "They are {ulps} float32 step(s) apart: torch adds the terms in float32, in its own order, and each addition rounds.",
  "teach.math.grad": "∂loss/∂ŷ: where backward() starts",
  "teach.math.gradPending": "Appears once loss.backward() has run in this iteration.",
  "teach.math.gradSkipped":
    "loss.backward() ran in this iteration, but without its details (Step iteration or fast play skips them). Step phase by phase to see this formula.",
  "teach.math.gradEmulated":
    "Redone here with torch's own float32 steps: {same} of {n} shown values are identical to what torch sent ✓",
  "teach.math.gradEmulatedDiffers":
    "Redone here with torch's own float32 steps: {same} of {n} shown values are identical; the others are up to {ulps} float32 step(s) away.",
  "teach.math.gradApprox":
    "Computed here in double precision: within {ulps} float32 step(s) of what torch sent (torch's log-softmax rounds to float32 on the way).",
  "teach.math.chain": "Chain rule to {module}'s parameters",
  "teach.math.chainCheck":
    "Exact sum: {exact}; torch (float32, summed inside its matrix multiply): {torch}.",
  "teach.math.chainSame": "the same float32 ✓",
  "teach.math.chainDiffers": "{ulps} float32 step(s) apart: float32 sums round at every addition.",
  "teach.math.chainMore":
    "Earlier layers get theirs the same way: each node of the graph multiplies the gradient it receives by its own local derivative and passes the result on.",
  "teach.math.chainNone":
    "The chain rule is written out for a model whose output comes from an nn.Linear.",
  "teach.math.accumulated":
    "zero_grad() was skipped, so .grad = the old .grad + this sum = {grad}.",
  "teach.math.update": "The update: optimizer.step() ({cls})",
  "teach.math.updatePending": "Appears once optimizer.step() has run.",
  "teach.math.updateOf": "iteration {iteration}",
  "teach.math.param": "Parameter",
  "teach.math.element": "its element {element}",
  "teach.math.torch": "torch (float32): {value}",
  "teach.math.replaySame":
    "The server replayed optimizer.step() on copies, with the same kernels step() used: {value}, the same bits ✓",
  "teach.math.replayDiffers":
    "The server replayed optimizer.step() on copies: {value}, not the same bits as step() (this optimizer's kernel rounds differently).",
  "teach.math.replayNone":
    "The server could not replay this optimizer's step() term by term, so only torch's result is shown.",
  "teach.math.exact": "Exact arithmetic on torch's float32 inputs: {value}",
  "teach.math.decimal": "Decimal arithmetic on the digits shown above: {value}",
  "teach.math.whyShown":
    "The decimal result differs from torch's because the numbers shown are rounded ({rounding}), while torch used all the bits of its float32 values.",
  "teach.math.roundDecimals": "to {digits} decimal places",
  "teach.math.roundSignificant": "to {digits} significant digits, written with ×10ⁿ",
  "teach.math.roundMixed":
    "to {digits} decimal places, or to {digits} significant digits where written with ×10ⁿ",
  "teach.math.whyFloat32":
    "Exact arithmetic on torch's own inputs still lands a little away from its result: float32 keeps only about 7 significant digits, and torch rounds the result of every operation to the nearest float32.",
  "teach.math.whySame":
    "Exact arithmetic on torch's own inputs, rounded once to float32, gives torch's result: only that last rounding separates them.",
  "teach.math.priorInitial":
    "First step for this parameter: the optimizer's state starts here (momentum buffer = g; Adam's m and v from 0).",
  "teach.math.priorState":
    "The state before this step is what optimizer.state held when step() began.",
  "teach.math.stateAfter": "optimizer.state['{key}'] after step(): {value}",
  "teach.math.notes": "From the notes",
  "teach.math.notesSgd": "SGD: weight 1.5, grad −0.8, lr 0.01 → 1.5 − 0.01 × (−0.8) = 1.508.",
  "teach.math.notesMse":
    "MSE of [2, 4, 6] against [1.8, 4.2, 5.5]: differences [0.2, −0.2, 0.5], squares [0.04, 0.04, 0.25], mean 0.11.",
  "teach.math.loading": "Loading the formula renderer…",

  "teach.refs.intro":
    "{a} and {b} are two names for one Parameter. id() is the object's identity, data_ptr() the address of its numbers, and _version counts its in-place changes.",
  "teach.refs.param": "Parameter",
  "teach.refs.object": "the Parameter object",
  "teach.refs.names": "names",
  "teach.refs.same": "the same object (is) ✓",
  "teach.refs.notSame": "not the same object!",
  "teach.refs.value": "value",
  "teach.refs.waiting": "Run optimizer.step() to see what it does to this object.",
  "teach.refs.verdict":
    "After step(): the same id, the same data_ptr, and _version {before} → {after}. The numbers were changed in place, through the reference: no new tensor was made, and the model sees the new value because it is the same object.",
  "teach.refs.sinceStart":
    "id() and data_ptr() are still the ones it had when the run started (both read before each step()): the object was never replaced.",
  // A character language model's panel (charlm and any run whose session has `language`).
  "loss.uniform": "ln(vocabulary size) = {value}: a uniform guess",
  "layers.tab": "Layers",
  "layers.wait": "Run optimizer.step() to see every parameter's health after it.",
  "layers.intro":
    "After the latest step(), for each parameter: its values and gradient as histograms, the gradient's norm, and how far the step moved it relative to its size.",
  "layers.param": "parameter",
  "layers.values": "values",
  "layers.grads": "gradient",
  "layers.overTime": "‖Δw‖/‖w‖ per step (log; green: 1e-4 to 1e-2)",
  "layers.exploding": "exploding",
  "layers.vanishing": "vanishing",
  "layers.showAll": "show all values",
  "layers.hideAll": "hide",
  "layers.full.value": "value",
  "layers.full.grad": ".grad",
  "layers.full.loading": "Asking the server for every value…",
  "layers.full.none":
    "Nothing to show yet: this parameter has no .grad now, or the optimizer has not made this state yet.",
  "layers.full.when":
    "Every value, shape {shape}, as the run held it in iteration {iteration} before {phase}. Blue below 0, red above, black for NaN or ±∞.",
  "layers.full.later": " The run had moved on past the frame shown.",
  "layers.full.range": "from {min} to {max}; point at a cell to read it",
  "layers.thresholds":
    "Flagged exploding when the gradient is not finite, or when its norm grew more than tenfold since the last step you watched while the step moved the weights by over 10% of their norm (a weight starting near zero may move by many times its size in one healthy step). Vanishing: the gradient's RMS is under a thousandth of the largest layer's, so it faded on its way back through the layers. About 1e-3 per step is the usual healthy pace.",
  "charlm.title": "Character model: this iteration",
  "charlm.batch": "The batch as characters",
  "charlm.batchNote":
    "Top row: the window fed in. Bottom row: the character that really follows each one, the target.",
  "charlm.waitForward": "Run the forward pass to see the batch.",
  "charlm.softmax": "Softmax and cross-entropy at one position",
  "charlm.positionLine": "position {position}: target «{char}», p = {prob}, loss = −ln p = {loss}",
  "charlm.others": "…and {n} other characters share the rest.",
  "charlm.waitLoss": "Compute the loss to see the probabilities.",
  "charlm.rows": "Embedding table: rows looked up (blue), rows with a nonzero .grad (red)",
  "charlm.rowsUsed": "{used} of {total} rows used",
  "charlm.gradSame": "{n} rows got a gradient: exactly the rows used",
  "charlm.gradOther": "{n} rows have a nonzero gradient",
  "charlm.sample": "Text the model writes (after {iteration} iterations)",
  "charlm.uniform": "A uniform guess over {n} characters has loss ln {n} = {value}.",
  // a traced script (loopscope trace)
  "trace.restart": "Restart script",
  "trace.restartExplain":
    "Runs {script} again from its first line, in a fresh Python process. This run's frames, losses and output are cleared; the script's files are not touched.",
  "trace.restartConfirm": "Restart from the top",
  "trace.restartCancel": "Cancel",
  "trace.console.title": "Script output",
  "trace.console.empty":
    "Nothing printed yet. What the script prints to stdout and stderr shows here, with the iteration it was printed in.",
  "trace.console.dropped":
    "{count} earlier lines are no longer kept here (the terminal has them all).",
  "trace.console.iteration": "printed after {iteration} training iterations",
  "trace.console.follow": "Follow new output",
  "trace.notice.backward_unknown_root":
    "backward() was called on a tensor that no model seen in this iteration produced, so no model is shown for it.",
  "trace.notice.no_optimizer":
    "The script made no torch.optim optimizer: each backward() counts as one iteration, and the script's own update code runs in between.",
  "trace.notice.optimizer_idle":
    "An optimizer the script made has not stepped along with the others.",
  "trace.notice.no_training_step":
    "No optimizer.step() was seen: the script ran no training iteration.",
  "trace.notice.trace_error":
    "Tracing stopped after an error of its own; the script carries on untraced.",
  "trace.notice.output_dropped":
    "The script printed faster than the page can show; some lines are only in the terminal.",
  "trace.eval.summary":
    "Evaluation / inference calls: {count} (outputs that never reached a backward)",
  "trace.eval.grad": "grad on",
  "trace.eval.noGrad": "no grad",
  "trace.eval.train": "train mode",
  "trace.eval.eval": "eval mode",
  "trace.end.finished": "The script finished (exit status 0).",
  "trace.end.failed": "The script stopped with an exception (exit status {code}).",
  "trace.end.stopped": "The script was stopped.",
  "trace.end.exited": "The script exited with status {code}.",
  "trace.end.noStep": "No training step was seen.",
  "trace.end.iterations": "{count} training iterations.",
  "trace.end.still": "The frames captured so far can still be scrubbed on the timeline.",
  "trace.end.showTraceback": "Show traceback",
  "trace.end.hideTraceback": "Hide traceback",
  "trace.timeline.hint":
    "These are the frames captured from your script. Scrub back to look at them again; a script cannot be re-run from the middle (Restart runs it from the top).",
  "trace.timeline.viewing":
    "Looking back at a captured frame; the script itself is at iteration {live}.",
  "trace.code.elsewhere": "Now running in {place}, in {fn}() (a file next to the script).",
  "trace.narr.idle":
    "The script is paused before its first training phase. Its model is found when a module's output first reaches a loss; until then only its source is known.",
  "trace.narr.nextUnseen": "Next: the {phase} phase (its line shows once the script reaches it).",
  "trace.loop.unseen": "(no line in this file seen yet)",
  "trace.objects.modelPending":
    "Not found yet: the model is the module whose output reaches the loss, known after the first forward and loss.",
  "trace.objects.optimizerPending": "no torch.optim optimizer seen yet",
  "trace.objects.lossPending": "no loss seen yet",
  "trace.param.notCaptured": "not captured yet",
  "charlm.pick": "Show the softmax at position {position}",
  "charlm.pickHint": "Click an input character to see the softmax there.",
  "charlm.moves":
    "The step moved {grad} rows with a gradient (by ≤ {gradShift}), {memory} rows on earlier batches' exp_avg (≤ {memoryShift}), {still} rows by weight decay alone (≤ {stillShift}).",
  "lessons.pointAt": "Show me where",
  "lesson.rows-learn.title": "Only the rows you used learn",
  "lesson.rows-learn.body":
    "nn.Embedding is a table with one row per character, and the forward pass only reads the rows of the characters in this batch. So backward can only put a gradient into those rows: every other row of token_embedding.weight.grad stays exactly zero. What the step then does depends on the optimizer. With plain SGD only those rows would move. AdamW first shrinks every weight by lr·weight_decay (decoupled weight decay, which does not look at the gradient), so the unused rows move too, by a tiny amount. And a row used in an earlier batch still has a nonzero exp_avg, so Adam keeps moving it for a few steps with no gradient at all.",
  "lesson.rows-learn.watch":
    "Step one phase at a time through two or three iterations: compare the blue rows (looked up) with the red ones (nonzero .grad) in the embedding table, and read the numbers below after each step.",
  "lesson.rows-learn.action": "Step one phase",
  "lesson.uniform-loss.title": "A uniform guess costs ln(vocab)",
  "lesson.uniform-loss.body":
    "Cross-entropy is −ln of the probability the model gave the right character. A model that knows nothing and gives all V characters the same chance 1/V pays −ln(1/V) = ln V at every position. A freshly initialised model is close to that: its logits are small, so its softmax is nearly flat, and its first loss sits near ln V, usually a little above. Every bit the loss drops below ln V is something the model learned about which character follows which.",
  "lesson.uniform-loss.watch":
    "Watch the loss chart and compare the loss with ln V below; the character box shows ln V too.",
  "lesson.uniform-loss.action": "Run 200 iterations",
  "lesson.sampling.title": "Samples get better as the loss falls",
  "lesson.sampling.body":
    "Every sample_every iterations the server lets the model write: it draws one character after another from the model's softmax, with a generator seeded the same way every time. The draws are the same, so only the model changes the text. At iteration 0 the probabilities are nearly flat and the text is a jumble of the corpus's characters. As the loss falls the model learns which characters tend to follow which: spaces between words, common pairs, capitals after full stops. It never spells whole words, because a bigram model sees one character back and nothing more.",
  "lesson.sampling.watch":
    "Compare the text from the start of the run with the newest sample, here and in the character box.",
  "lesson.sampling.action": "Run 300 iterations",
  "lessonLive.rowsWait": "Step through an iteration: the numbers arrive phase by phase.",
  "lessonLive.rowsUsed": "This batch looked up {used} of the {total} rows.",
  "lessonLive.gradSame": "{n} rows have a nonzero .grad: exactly the rows looked up.",
  "lessonLive.gradOther": "{n} rows have a nonzero .grad, more than this batch looked up.",
  "lessonLive.movedGrad": "The step moved the {n} rows with a gradient by up to {shift}.",
  "lessonLive.movedMemory":
    "{n} rows had no gradient now but an exp_avg from earlier batches: moved by up to {shift}.",
  "lessonLive.movedStill":
    "{n} rows never had a gradient: moved by at most {shift}, weight decay alone.",
  "lessonLive.uniform": "ln {n} = {value}: the loss of a uniform guess over {n} characters.",
  "lessonLive.lossWait": "No loss yet: run the action.",
  "lessonLive.firstLoss": "First loss (iteration {iteration}): {loss}.",
  "lessonLive.lossBelow": "Loss at iteration {iteration}: {loss}, {gap} below the uniform guess.",
  "lessonLive.lossAbove":
    "Loss at iteration {iteration}: {loss}, still {gap} above the uniform guess.",
  "lessonLive.sampleThen": "At the start (iteration {iteration}): «{text}»",
  "lessonLive.sampleNow": "Now (iteration {iteration}): «{text}»",
  "lessonLive.sampleWait": "Run the action: a new sample comes every sample_every iterations.",
  // h15: learner words (graph age, lessons that keep their promises, boxes that fit)
  "graph.stale": "This is iteration {n}'s graph, now gone; the next forward() builds a new one.",
  "landscape.nonfinite":
    "The parameters became ∞ or NaN: the path stops at their last finite values, which may be far outside the plot.",
  "landscape.zoomed":
    "Zoomed out to hold the whole path; the contours cover only the area where torch evaluated the loss.",
  "objects.gradSumTitle":
    "zero_grad() was skipped, so backward() added this iteration's gradient g₁ to the g₀ already in .grad (AccumulateGrad does +=). All three numbers are torch's.",
  "loop.part.forward": "forward pass",
  "loop.part.backward": "backward pass and update",
  "loop.part.repeat": "repeat until converged",
  // Controls a learner expects: run to, every setting, set vs restart, closed for good.
  "runto.label": "Run to",
  "runto.unit": "Count the target in",
  "runto.epoch": "epoch",
  "runto.iteration": "iteration",
  "runto.go": "Go",
  "runto.invalid": "Enter a whole number, 1 or more.",
  "runto.meansIteration":
    "Iteration {n} = after {n} updates (calls of optimizer.step()). The page counts from 0, so the iteration that ran last is then number {last}.",
  "runto.meansEpochFull":
    "Epoch {n} as the notes' log counts it (Epoch [{n}/…]): after {n} passes over the data. Full batch: one pass is one update, so {updates} updates. The log prints the loss of that pass; the page counts from 0 and shows it as epoch {last}.",
  "runto.meansEpoch":
    "Epoch {n} as the notes' log counts it (Epoch [{n}/…]): after {n} passes over the data of {batches} mini-batches each, {updates} updates. The page counts from 0 and shows that last epoch as {last}.",
  "runto.reached": "The run is there already, or past it: Reset, or choose a later target.",
  "runto.progress": "{done} of {total} iterations run ({target}). Pause stops here.",
  "runto.progressLabel": "How far the run has come",
  "status.reconnect": "Reconnect",
  "status.closedWhy.1000": "The server closed this tab after a long time without use.",
  "status.closedWhy.1008": "The server refused this connection (a rule it enforces).",
  "status.closedWhy.4008":
    "The server closed this tab: it read too slowly, and too much was waiting to be sent.",
  "status.closedWhy.4013": "The server was full and closed this idle tab to make room.",
  "status.closedWhy.other": "The server closed the connection (code {code}).",
  "status.closedKept":
    "Your run is kept for a while. This tab does not reconnect by itself, so that open tabs do not push each other out.",
  "config.momentum": "Momentum μ",
  "config.beta1": "Adam β₁",
  "config.beta2": "Adam β₂",
  "config.eps": "Adam ε",
  "config.weightDecay": "Weight decay λ",
  "config.skipZeroGrad": "Skip zero_grad()",
  "config.frozen": "Frozen parameters",
  "config.loss": "Loss function",
  "config.nPoints": "Data points",
  "config.noise": "Noise σ",
  "config.hidden": "Hidden layer widths",
  "config.activation": "Activation",
  "config.dataset": "Data set",
  "config.corpus": "Corpus",
  "config.nEmbd": "Embedding size",
  "config.blockSize": "Window length",
  "config.sampleEvery": "Sample every",
  "config.sampleLength": "Sample length",
  "config.unit.batch_size": "rows per update; empty = all",
  "config.unit.n_points": "points",
  "config.unit.hidden": "units per layer, comma-separated",
  "config.unit.frozen": "parameter names, comma-separated",
  "config.unit.block_size": "characters",
  "config.unit.sample_every": "iterations",
  "config.unit.sample_length": "characters",
  "config.unit.n_embd": "numbers per character",
  "config.unit.weight_decay": "empty = torch's default",
  "config.unit.noise": "standard deviation",
  "config.applyNow": "Apply to the running loop",
  "config.applyHint":
    "Only optimizer settings changed: they can be written into optimizer.param_groups now (the run goes on), or the run can start over with them.",
  "config.restartOnly": "The model or the data are built from these settings: they need a new run.",
  "config.problem.length": "{field} needs {min} to {max} values",
  "config.note.set":
    "{changes} applied from iteration {iteration} (before {phase}): the same run goes on.",
  "config.note.restart": "Restarted with {changes}: a new run from iteration 0.",
  "config.note.dismiss": "Dismiss this note",
  "export.linkPlace":
    "The link opens this run at iteration {iteration} (before {phase}), replaying {sets} settings change(s) on the way.",
  "export.linkPartial":
    "{n} earlier settings change(s) of this run are not kept, so the link cannot reproduce its numbers: it opens the same settings at the same iteration, on a different path.",
  "trace.narr.endedIdle": "The script ended before any training phase was captured.",
  "trace.narr.noNext":
    "Nothing runs next: the script has ended (Restart runs it again from the top).",
  // notices about scripts that the tracer can only partly see
  "trace.notice.notebook_only":
    "This script was exported from a notebook and calls a function that only Jupyter provides. Remove or guard those lines and restart it.",
  "trace.notice.scripted_module":
    "The model is a torch.jit.script module: its layers run inside TorchScript, so only what goes in and comes out of it is shown.",
  "trace.notice.compiled_module":
    "The model was compiled with torch.compile. It is shown layer by layer as if it were not compiled, and it runs slower while traced.",
  // a step frame within its byte budget (a model of many tensors)
  "teach.math.updateBrief":
    "This step's frame carried only the norms of {name}, to stay small. Its full update is asked for while the run is paused.",
  "graph.leftOut":
    "This gradient was left out of the frame to keep it small (a model of many tensors).",
  "graph.leftOutAsk": "Press to fetch it from the run.",
  "graph.leftOutPast":
    "It can be fetched only while the run is paused and this backward is the latest one shown.",
  // detail asked for on request, while on its way and when refused
  "graph.sentFetching": "fetching…",
  "graph.sentFetchingTitle": "Fetching this gradient from the run…",
  "graph.sentRefused": "unavailable",
  "graph.sentRefusedTitle": "The run did not send this gradient: {reason} Press to ask again.",
  "teach.math.updateFetching": "Fetching the full update of {name} from the run…",
  "teach.math.updateRefused": "The run did not send the full update of {name}: {reason}",
  "detail.refusedMoved": "the run has moved on from this frame and no longer keeps it.",
  "detail.refusedUnknown": "the run does not keep it for this frame.",
  "detail.refusedRun": "this kind of run cannot send it.",
  "detail.refusedOther": "the run could not send it.",
  // scripts that get their gradients without backward()
  "trace.notice.grad_without_backward":
    "This script takes its gradients from torch.autograd.grad instead of backward(). Its forward and loss calls are shown, but not its gradients, its updates or where an iteration ends.",
  "trace.notice.func_transform":
    "A model was called inside a torch.func transform (grad, vmap). Those calls, the gradients they return and the updates made with them are not shown; only the script's output is complete.",
  // a traced script that ended: why Step and Play are off
  "controls.scriptEnded":
    "The script has ended: nothing is left to run. Reset (or Restart script) runs it again from the top.",
  "graph.emptyEnded": "The script has ended and no loss was captured, so there is no graph.",
  "graph.emptyFrame":
    "This frame comes before its iteration's loss was computed, so it has no graph yet.",
} as const;

export type MessageKey = keyof typeof en;
