// 界面上的每一句中文；键与 en.ts 完全一致（有测试检查）。
// `{name}` 是运行时填入的参数。
import type { MessageKey } from "./en";

export const zh: Record<MessageKey, string> = {
  "app.title": "loopscope",
  "app.tagline": "PyTorch 训练循环，一次看一步",
  "lang.toggle": "English",
  "lang.label": "界面语言：切换到英文",
  "help.button": "快捷键与帮助",
  "help.title": "怎么使用 loopscope",
  "help.intro":
    "多按几次「单步」。每按一次，服务器就真正执行循环中的一行代码，这里显示 PyTorch 改变了什么。",
  "help.shortcuts": "快捷键",
  "help.key.space": "播放 / 暂停",
  "help.key.right": "前进一个阶段",
  "help.key.shiftRight": "前进一次完整的迭代（五个阶段）",
  "help.key.r": "重置（同一个随机种子，数字完全相同）",
  "help.key.help": "显示或隐藏本帮助",
  "help.key.escape": "关闭帮助或错误提示",
  "help.close": "关闭",
  "help.read.title": "怎么看这张图",
  "help.read.objects":
    "左侧：循环开始前创建的对象。优化器的箭头指向的，正是模型里那几个参数框本身。",
  "help.read.loop": "中间：循环里的五行代码，刚执行的那一行会高亮。",
  "help.read.graph": "右侧：torch 记录下的计算图。前向时数值自上而下流动，反向时梯度沿原路往回传。",

  "scenario.label": "场景",
  "scenario.linear": "线性回归（SimpleNet）",
  "scenario.mlp": "多层感知机拟合正弦",
  "scenario.classify": "二分类器",
  "scenario.charlm": "字符语言模型（二元语法）",
  "config.title": "运行设置",
  "config.lr": "学习率",
  "config.optimizer": "优化器",
  "config.batchSize": "批大小",
  "config.batchFull": "全量批次",
  "config.seed": "随机种子",
  "config.device": "设备",
  "config.apply": "按此设置重新开始",
  "config.fixFirst": "请先改正标出的字段，设置还没有发出。",
  "config.refused": "服务器没有按这些设置开始运行。",
  "config.problem.required": "{field}不能为空",
  "config.problem.number": "{field}必须是一个数",
  "config.problem.integer": "{field}必须是整数",
  "config.problem.gt": "{field}必须大于 {bound}",
  "config.problem.ge": "{field}不能小于 {bound}",
  "config.problem.lt": "{field}必须小于 {bound}",
  "config.problem.le": "{field}不能大于 {bound}",
  "config.problem.enum": "{field}只能取这些值之一：{options}",
  "config.problem.batch": "{field}最多为 {bound}，即数据点的个数",
  "config.problem.unavailable": "{field}：服务器上没有 {value}",
  "config.problem.server": "服务器不接受这个{field}：{detail}",
  "optimizer.sgd": "SGD",
  "optimizer.momentum": "SGD + 动量",
  "optimizer.adam": "Adam",
  "optimizer.adamw": "AdamW",

  "controls.step": "单步",
  "controls.stepIteration": "走一次迭代",
  "controls.play": "播放",
  "controls.pause": "暂停",
  "controls.reset": "重置",
  "controls.speed": "速度",
  "controls.toolbar": "训练控制",
  "speed.phase": "每秒 {rate} 个阶段",
  "speed.iteration": "每秒 {rate} 次迭代",
  "speed.epoch": "每秒 {rate} 个 epoch",
  "speed.phase.one": "每秒 {rate} 个阶段",
  "speed.iteration.one": "每秒 {rate} 次迭代",
  "speed.epoch.one": "每秒 {rate} 个 epoch",

  "status.connection": "连接",
  "status.connecting": "正在连接…",
  "status.open": "已连接",
  "status.reconnecting": "正在重连…",
  "status.reconnectingIn": "{s} 秒后重连",
  "status.closed": "已断开",
  "status.device": "设备",
  "status.epoch": "轮次（epoch）",
  "status.iteration": "迭代",
  "status.batch": "第 {batch}/{n} 批",
  "status.loss": "损失",
  "status.phase": "阶段",
  "status.nextPhase": "下一步：{phase}",
  "status.none": "—",
  "status.switch.label": "教学开关",
  "status.switch.skipZeroGrad": "跳过了 zero_grad()",
  "status.switch.frozen": "已冻结：{names}",
  "status.switch.off": "关闭",
  "status.switch.restoreZeroGradName": "重新执行 zero_grad",
  "status.switch.unfreezeName": "解冻参数",
  "status.switch.restoreZeroGrad":
    "从下一次迭代起重新调用 optimizer.zero_grad()（运行继续，不重启）。",
  "status.switch.unfreeze": "让所有参数重新参与训练：其余设置不变，运行重新开始。",
  "status.diverged": "训练发散了：损失或某个参数变成了 NaN 或无穷大。请调低学习率后重新开始。",

  "error.title": "服务器拒绝了一条命令",
  "error.pageTitle": "页面提示",
  "error.field": "字段：{field}",
  "error.dismiss": "关闭",
  "error.offline": "尚未连接，命令没有发出。",
  "error.malformed": "服务器发来了一条本页面无法识别的消息。",
  "error.unknownScenario": "链接里的场景在本页面中不存在，所以继续运行当前场景。",

  "phase.forward": "前向 forward",
  "phase.loss": "损失 loss",
  "phase.zero_grad": "清梯度 zero_grad",
  "phase.backward": "反向 backward",
  "phase.step": "更新 step",

  "loop.title": "训练循环",
  "loop.header": "for epoch in range(epochs):",
  "loop.next": "下一步",
  "loop.notYet": "本次迭代还没执行到这里",
  "loop.ran.skipped": "已执行；细节未记录（整次迭代前进或快速播放时会跳过），逐阶段单步即可看到",
  "loop.ran.loss": "loss = {loss}",
  "loop.ran.grad": "{name}.grad = {value}",
  "loop.does.forward":
    "model(x) 先进入 nn.Module.__call__（钩子，再调 forward()）；每一步运算都被记进计算图。",
  "loop.does.loss": "损失函数拿 y_pred 和 y 比较；得到的 loss 张量就是计算图的根。",
  "loop.does.zero_grad": "把优化器持有的每个参数的 .grad 清掉，免得旧梯度累加进来。",
  "loop.does.backward": "从 loss 沿计算图一路回到叶子节点，把 ∂loss/∂p 写进每个参数的 .grad。",
  "loop.does.step": "优化器对它引用的每个参数，用 .grad 原地修改参数的值。",

  "explain.forward": "{chain} 执行完毕；y_pred {shape} = {value}",
  "explain.loss": "loss = {criterion}(y_pred, y) = {loss}；autograd 记录了 {nodes} 个节点",
  "explain.zeroGrad.none": "{name}.grad = None",
  "explain.zeroGrad.zero": "{name}.grad = 0",
  "explain.zeroGrad.skipped": "跳过了 zero_grad()：下一次 backward() 会在旧的 .grad 上累加。",
  "explain.backward": "{name}.grad = ∂loss/∂{name} = {value}",
  "explain.step.scalar": "{name}：{before} → {after}（{delta}）",
  "explain.step.tensor": "{name} 被原地修改（平均 |Δ| = {delta}）",
  "explain.step.skipped": "{name} 没有 .grad，step() 不会动它",
  "explain.more": "……还有 {n} 项",

  "objects.title": "对象（初始化阶段，循环开始前创建）",
  "objects.model": "模型 model",
  "objects.optimizer": "优化器 optimizer",
  "objects.criterion": "损失函数 criterion",
  "objects.value": "值",
  "objects.grad": ".grad",
  "objects.none": "None",
  "objects.paramGroups": "param_groups[{group}]['params']",
  "objects.refNote":
    "这些条目是对模型里同一批 Parameter 对象的引用（见箭头），不是副本。所以 step() 从没拿到模型，却能改动模型。",
  "objects.notAParameter": "一个不属于模型参数的张量",
  "objects.sameObject": "就是 {name}（同一个对象，id {id}）",
  "objects.version": "_version {version}",
  "objects.versionChange": "_version {before} → {after}：被原地修改",
  "objects.delta": "Δ {delta}",
  "objects.frozen": "requires_grad=False",
  "objects.moreParams": "共 {n} 个参数",

  "graph.title": "计算图（autograd）",
  "graph.empty": "算出 loss 之后计算图才会出现（按两次「单步」）。",
  "graph.fit": "适应窗口",
  "graph.fitLabel": "把计算图缩放到看得清的大小，视野跟着运行移动",
  "graph.group": "按模块分组",
  "graph.legend.data": "数据",
  "graph.legend.param": "参数（叶子）",
  "graph.legend.op": "运算（grad_fn）",
  "graph.legend.value": "前向数值",
  "graph.legend.grad": "梯度",
  "graph.caption.none": "本次迭代还没有执行任何阶段。",
  "graph.caption.forward": "前向：数值从 x 和参数流向 y_pred，autograd 把每一步运算记成一个节点。",
  "graph.caption.loss": "loss = criterion(y_pred, y) 让计算图闭合，它的根节点是 {root}。",
  "graph.caption.zero_grad": "zero_grad() 只动 .grad；计算图原样等着 backward()。",
  "graph.caption.backward":
    "backward()：引擎按这个顺序，从 loss 往回执行到叶子；每个 AccumulateGrad 写入一个 .grad。",
  "graph.caption.step": "step() 原地修改参数，计算图不参与（backward() 之后它已被释放）。",
  "graph.zoomHint": "滚轮缩放，拖动平移。",
  "graph.partialHint":
    "窗口只容得下计算图的一部分，视野会跟着运行移动；拖动可平移，滚轮缩小可看全图。",
  "graph.group.expand": "就地展开 {group}（{n} 个节点）",
  "graph.group.collapse": "把 {group} 收回成一个方框",
  "graph.group.count": "{n} 个节点",
  "graph.group.done": "已运行 {done}/{n}",
  "graph.groupsHint": "有些模块收成了一个方框：点击方框即可就地展开。",

  "tensor.shape": "形状 {shape}",
  "tensor.stats": "最小 {min} · 最大 {max} · 均值 {mean} · 标准差 {std}",
  "tensor.histogram": "{n} 个数的直方图",
  "tensor.heatmap": "{n} 个数的热力图",
  "tensor.nonFinite": "含有 NaN 或 ∞",

  "help.key.left": "时间回溯：后退一帧（之后 → 会再前进，直到回到实时）",
  "charts.show": "图表",
  "charts.hide": "隐藏图表",
  "loss.title": "每次迭代的损失",
  "loss.scale": "纵轴",
  "loss.linear": "线性",
  "loss.log": "对数",
  "loss.empty": "每完成一次迭代（五个阶段都跑完），它的损失就会画在这里。",
  "loss.axis.iteration": "迭代",
  "loss.latest": "最新 {loss}",
  "loss.nonFinite": "{n} 个 NaN/∞（标在顶部）",
  "loss.future": "淡色部分：在当前查看的帧之后",
  "fit.title": "拟合：数据与模型的预测",
  "fit.data": "数据",
  "fit.batch": "本批次",
  "fit.line": "模型：ŷ = w·x + b",
  "fit.curve": "模型在网格上的输出 model(x)",
  "fit.regions": "模型给出的 P(类别 1)",
  "fit.class0": "类别 0",
  "fit.class1": "类别 1",
  "fit.empty": "开始运行后这里显示拟合情况。",
  "landscape.title": "(w, b) 上的损失地形",
  "landscape.path": "走过的路径（{n} 个点）",
  "landscape.grad": "∇L（只表示方向）",
  "landscape.step": "−lr·∇L：这一步",
  "landscape.optimum": "最优点",
  "landscape.outside":
    "路径上有 {n} 个点在图外：它们离得超过画出宽度的一千倍，无法和山谷画在同一张图里。",
  "landscape.valley":
    "为什么 w 很快稳定、b 却慢慢爬：x 没有中心化（x ∈ [0, 10)，均值 {mean}），所以损失曲面是一条又长又窄的山谷，横穿山谷的方向比沿谷底的方向陡约 {ratio} 倍。梯度几乎正对着横穿方向，也就是 w 的方向，所以 w 几步就到位；而为了横向不冲过头，学习率必须很小，这样沿谷底每步只挪一点点，于是 b 只能慢慢爬向 {b}。",
  "compare.title": "GD、SGD 与小批量",
  "compare.gd": "GD：每步 {n} 个点",
  "compare.sgd": "SGD：每步 1 个点",
  "compare.minibatch": "小批量：每步 {n} 个点",
  "compare.legend": "细线：每次迭代（该批数据）的损失；粗线：每个 epoch 的平均",
  "compare.axis.epoch": "epoch",
  "compare.loading": "服务器正在训练这三个对照运行……",
  "compare.failed": "对比失败：{message}",
  "compare.note":
    "一个 epoch 就是把数据完整过一遍：GD 每个 epoch 走 1 步，小批量 {mini} 步，SGD {sgd} 步。步数越多、每步用的数据越少：每个 epoch 下降得更快，但噪声也更大。",
  "compare.back": "本次运行的损失",
  "compare.show": "对比",
  "timeline.label": "时间轴",
  "timeline.back": "后退一帧",
  "timeline.forward": "前进一帧",
  "timeline.live": "回到实时",
  "timeline.position": "时间轴位置",
  "timeline.branchLr": "分支使用的学习率",
  "timeline.frame": "第 {k} / {n} 帧",
  "timeline.phaseFrame": "第 {iteration} 次迭代 · {phase}",
  "timeline.sessionFrame": "第 {iteration} 次迭代 · {phase} 之前",
  "timeline.empty": "收到的每一帧都会留在这里，往回拖就能重新看到任意一帧。",
  "timeline.viewing":
    "正在查看过去：所有面板都显示这一帧当时的样子。实际运行停在第 {live} 次迭代。",
  "timeline.continue": "从这里继续",
  "timeline.lr": "学习率",
  "timeline.lrSame": "不变",
  "timeline.rerun":
    "回退只能回到某次迭代的开头：从这一帧继续时，第 {iteration} 次迭代会从前向传播重新跑一遍（数字相同，是重新算出来的）。",
  "timeline.exact":
    "运行会精确地回到第 {iteration} 次迭代的开头；之后的帧会被丢弃（开出一个新分支）。",
  "timeline.outOfHistory": "服务器已不再保存第 {iteration} 次迭代（只保存 {first}…{last}）。",
  "lessons.button": "实验",
  "lessons.title": "把训练搞坏的小实验",
  "lessons.intro": "每个实验都会故意弄坏一处，然后开始运行。看看会出什么问题。",
  "lessons.close": "关闭实验",
  "lessons.label": "实验",
  "lessons.more": "▾ 下面还有，向下滚动",
  "lessons.closeNote": "点 × 关闭或换一个场景，实验就结束；关闭时还会把这个场景恢复成默认设置。",
  "lesson.no-zero-grad.title": "忘了 zero_grad()",
  "lesson.no-zero-grad.body":
    "跳过 optimizer.zero_grad()。backward() 不会覆盖 .grad，而是往上累加（AccumulateGrad 做的是 +=），所以 k 次迭代后每个 .grad 都是 k 个梯度之和，step() 用的就是这个越来越大的和。",
  "lesson.no-zero-grad.watch":
    "每次跑一次迭代（五个阶段逐个执行），盯住 .grad 框：从第二次迭代起，.grad 下面多出一行 “+=”，写着 g₀（.grad 里原有的值）+ g₁（这次 backward 自己的梯度）= 新的 .grad，三个数都是 torch 算出的。步子越来越大，损失忽上忽下。",
  "lesson.no-zero-grad.action": "逐个阶段跑完一次迭代",
  "lesson.lr-too-high.title": "学习率太大（lr = 0.03）",
  "lesson.lr-too-high.body":
    "普通梯度下降只有在 lr ×（横穿山谷方向的曲率）小于 2 时才稳定。0.03 刚好超过这个界限：每一步都比上一步在谷底冲得更远，误差按几何级数增长，最后 float32 溢出成 ∞，再变成 NaN。",
  "lesson.lr-too-high.watch":
    "运行 300 次迭代。前 16 次一次一次地走：地形图上的路径从山谷一侧跳到另一侧，一次比一次远，图会自动缩小，让路径始终在视野里。其余的一次跑完：在对数纵轴的损失图上损失沿直线上升，float32 溢出，页面标出“发散”，∞ 和 NaN 原样显示。",
  "lesson.lr-too-high.action": "运行 300 次迭代",
  "lesson.frozen-bias.title": "冻结的偏置",
  "lesson.frozen-bias.body":
    "在循环开始前把 linear.bias.requires_grad 设为 False。autograd 不会为它记录 AccumulateGrad 节点，backward() 也不会写它的 .grad（一直是 None），step() 会跳过它：优化器仍然持有它的引用，只是没有东西可以更新。",
  "lesson.frozen-bias.watch":
    "前进一次迭代：计算图里没有 AccumulateGrad:linear.bias 节点，bias 保持原值，只有 w 在动，所以地形图上的路径是一条水平线。",
  "lesson.frozen-bias.action": "前进一次迭代",
  "lesson.batch-sizes.title": "GD、SGD 与小批量",
  "lesson.batch-sizes.body":
    "笔记里那张表的实况版：服务器用三种方式把同一个模型训练 30 个 epoch。梯度下降每步用全部 100 个点（准确但慢），SGD 每步只用 1 个点（快但噪声大），小批量每步 10 个点（两者折中）。",
  "lesson.batch-sizes.watch":
    "在对比图上，按 epoch 算 SGD 降得最低，但始终在抖；GD 很平滑，可 30 个 epoch 后仍在沿谷底慢慢爬。",
  "lesson.batch-sizes.action": "训练这三个对照运行",
  "export.button": "分享 / 导出",
  "export.link": "复制本次运行的链接",
  "export.copied": "链接已复制",
  "export.json": "录制的运行（JSON，{n} 帧）",
  "export.json.one": "录制的运行（JSON，{n} 帧）",
  "export.svg": "计算图（SVG）",
  "export.png": "计算图（PNG）",
  "export.noGraph": "还没有计算图：先按两次「单步」。",
  "export.linkHint": "链接里包含场景、设置和界面语言。",

  "teach.title": "讲解",
  "teach.tabs": "讲解内容",
  "teach.tab.math": "公式",
  "teach.tab.call": "展开 model(x)",
  "teach.tab.refs": "一个对象，两个名字",

  "teach.code.title": "程序（服务器实际运行的源码）",
  "teach.code.running": "正在执行",
  "teach.code.ran": "刚执行",
  "teach.code.next": "下一行",
  "teach.code.hint": "把鼠标移到（或用键盘聚焦到）一个名字上，可以看到它此刻的值。",
  "teach.code.none": "运行开始后，这里显示源码。",

  "teach.hover.notYet": "本次迭代里还没有算出来。",
  "teach.hover.module": "一个 {cls}。下面是它的参数（共 {n} 个）以及各自当前的值和 .grad。",
  "teach.hover.parameters":
    "一个生成器，遍历每个模块的 _parameters，共找到 {n} 个参数。交给优化器的正是这些对象本身。",
  "teach.hover.optimizer": "保存着参数的引用（不是副本）、超参数以及它自己的状态。",
  "teach.hover.zeroGrad": "优化器持有的每个参数此刻的 .grad。",
  "teach.hover.step": "最近一次 step()：每个参数更新前 → 更新后，都是原地修改。",
  "teach.hover.criterion": "调用它会由 y_pred 和 y 算出损失，autograd 也会把这个运算记录下来。",
  "teach.hover.loss": "一个 0 维张量。backward() 从它的 grad_fn 开始。",
  "teach.hover.backward": "backward() 写入之后，每个参数的 .grad。",
  "teach.hover.yPred": "模型对这一批数据的输出。",
  "teach.hover.x": "这一批的输入（不分批时就是全部数据）。",
  "teach.hover.y": "这一批的目标值。",
  "teach.hover.lr": "step() 每次都从 param_groups 里读取 lr，所以修改会在下一次 step 生效。",

  "teach.narr.idle":
    "还什么都没有运行，但对象已经建好：模型持有 {count} 个参数（{params}），优化器持有指向这些张量本身的引用。",
  "teach.narr.forward":
    "第 {line} 行对 {n} 个数据点执行了 model(x_batch)。调用模型会经过 Module.__call__，依次运行了 {chain}；y_pred 的形状是 {shape}，第一个值是 {first}。此时还什么都没学：autograd 只是把每个运算记了下来，以便之后反向传播。",
  "teach.narr.loss":
    "第 {line} 行：{criterion} 把 {n} 个预测值和目标值作比较，得到 loss = {loss}。它只是一个数，它的 grad_fn（{root}）就是 backward() 将要往下走的那张图的顶点。",
  "teach.narr.zeroGrad":
    "第 {line} 行：optimizer.zero_grad() 把它持有的 {count} 个参数的 .grad 设为 None（{name}.grad 原来是 {old}）。参数本身一个都没动，只是清掉了旧梯度，免得 backward() 在它上面累加。",
  "teach.narr.zeroGrad.fresh":
    "第 {line} 行：optimizer.zero_grad() 把它持有的 {count} 个参数的 .grad 设为 None。它们本来就是 None（还没有做过反向传播），所以看不到变化。",
  "teach.narr.zeroGrad.skipped":
    "第 {line} 行被注释掉了：zero_grad() 没有执行，{name}.grad 仍然是 {old}，下一次 backward() 会把本次迭代的梯度加到它上面。",
  "teach.narr.backward":
    "第 {line} 行：loss.backward() 执行了计算图中的 {nodes} 个节点，从 {root} 一直回到叶子，并写入每个参数的 .grad：{name}.grad = {grad}。参数本身还没有改变。",
  "teach.narr.backward.neg": "梯度是负的：把 {name} 稍微调大会让损失变小，所以这一步会让它变大。",
  "teach.narr.backward.pos": "梯度是正的：把 {name} 稍微调大会让损失变大，所以这一步会让它变小。",
  "teach.narr.step.sgd":
    "第 {line} 行：optimizer.step() 让 {name} 沿梯度的反方向移动：{name} 从 {before} 变成 {after}，即减去 lr {lr} 乘以梯度 {grad}。",
  "teach.narr.step.momentum":
    "第 {line} 行：带动量 {mu} 的 optimizer.step() 把 {name} 从 {before} 变成 {after}。这一步跟随的是累积的动量缓冲 {buf}（它记住了以前的梯度），而不只是本次迭代的梯度 {grad}。",
  "teach.narr.step.adam":
    "第 {line} 行：{cls} 的 step() 先更新了 {name} 的滑动平均（m = {m}，v = {v}），再把它从 {before} 变成 {after}：沿 −m̂/√v̂ 的方向走了大约 lr = {lr} 那么远，不管梯度本身有多大。",
  "teach.narr.step.none":
    "第 {line} 行：optimizer.step() 在所有参数上都没有找到 .grad，所以它们都没有变。",
  "teach.narr.step.inPlace":
    "它是通过 param_groups 里的引用找到模型的张量的：{name}._version 从 {v0} 变成 {v1}，说明被原地修改的正是同一个对象。",
  "teach.narr.next": "下一步：第 {line} 行，{code}",
  "hint.first":
    "第一次来？按「单步」（→）执行循环的下一行，看对象、计算图和代码如何跟着变化；按「播放」（空格）让它自己跑。",
  "hint.close": "关闭提示",
  "notes.intro":
    "在真实的 torch 对象上试一试：改动这些数再运行；torch 的 float32 结果会和讲义里的手算并排显示。",
  "notes.pred": "预测值",
  "notes.target": "目标值",
  "notes.run": "交给 torch 计算",
  "notes.badList": "预测值和目标值必须是用逗号分开的数字。",
  "notes.offline": "服务器没有响应。",
  "notes.bounds":
    "{field} 超出范围：w 和 grad 在 −1000 到 1000 之间，lr 大于 0 且不超过 10，预测值最多 8 个，目标值与预测值个数相同。",
  "notes.sgd":
    "SGD 一步：手算 {w} − {lr} × ({grad}) = {hand}；torch 的 optimizer.step() 之后 w = {torch}（float32）。",
  "notes.mse":
    "MSE：手算 ({squares}) / {n} = {hand}；torch 的 nn.MSELoss() 得到 {torch}（float32）。",
  "notes.stateDict":
    "optimizer.state_dict() 存下了 lr = {saved} 和动量缓冲 {buf}；把 lr 改成 {changed} 并再走一步之后，load_state_dict() 又恢复了 lr = {restored} 和缓冲 {bufBack}。",
  "notes.zeroGrad":
    "对 .grad = {grad} 调用 zero_grad()：set_to_none=True（PyTorch 2.0 起的默认值）时 .grad 变成 {none}；set_to_none=False 时变成 {zero}，也就是讲义图里的 “.grad = 0”。用 None 可以省下一个全零张量的内存，之后 backward() 直接写入新梯度，而不是加到一堆零上。",
  "teach.narr.resumed":
    "第 {iteration} 次迭代（第 {epoch} 轮），{next} 之前：运行是从这里接着开始的（回退、重置、分支或重新加载页面），所以屏幕上的数值是模型此刻真正持有的，并不是从头开始。",
  "teach.narr.resumed.oldGraph":
    "屏幕上的计算图仍是第 {previous} 次迭代建的；下一次前向会建出本次迭代自己的图。",
  "teach.narr.resumed.noGraph": "还没有计算图：下一次前向会为本次迭代建图。",
  "teach.narr.idle.oldGraph":
    "屏幕上的计算图是重置之前留下的：参数已经回到初始值，第一次前向会建出新的图。",
  "teach.narr.step.far":
    "这一步走得很远，超过了 {name} 本身的大小（{before}）：从很小的初值出发，这可能是进步；下一次的损失会说明它有没有越过最低点。",
  "teach.narr.loss.rose":
    "损失上升了，从 {previous} 变成 {loss}：上一步让拟合变差了，说明学习率把参数推过了最低点。",
  "teach.narr.loss.nonfinite":
    "损失是 {loss}：数值已经超出 float32 的范围；参数里一旦出现 NaN 或 ∞，之后每次的损失都会如此。",
  "teach.narr.step.overshoot":
    "第 {line} 行：optimizer.step() 冲过头了：{name} 从 {before} 变成 {after}，它的梯度（{grad}）和上一步相比方向反了、而且更大，说明上一步越过了最低点，落到了离它更远的地方。对这个坡度来说，lr {lr} 太大了。",
  "teach.narr.step.diverged":
    "第 {line} 行：optimizer.step() 把 {name} 从 {before} 变成了 {after}：训练已经发散，之后的任何一步都救不回来。",
  "teach.narr.step.frozen":
    "{names}：已冻结（requires_grad=False），没有 .grad，所以 step() 完全没有动它。",
  "teach.narr.step.noGrad":
    "{names}：.grad 是 None（backward() 没有走到它），所以 step() 跳过了它，它没有变。",
  "landscape.diverging":
    "每一步对这条山谷来说都太大了：横穿谷底后，落点比出发点在对岸更高，所以路径左右来回、越摆越远，而不是稳定下来（学习率太大会这样，不清零、越积越多的梯度也会这样）。",

  "teach.call.empty": "按「单步」执行前向那一行，torch 实际的调用过程会显示在这里。",
  "teach.call.skipped":
    "本次迭代的 model(x) 已经执行，但没有记录细节（整次迭代前进或快速播放会跳过）：逐阶段单步即可看到它的调用过程。",
  "teach.call.intro":
    "model(x) 并不是直接调用 forward()。对每个模块（层层嵌套），Module.__call__ 都先运行前向预钩子，再调用 forward()，最后运行前向钩子。编号就是 torch 运行这些钩子的顺序（由挂在每个模块上的钩子记录）。",
  "teach.call.pre": "前向预钩子（forward pre-hooks）",
  "teach.call.hook": "前向钩子（forward hooks）",
  "teach.call.returns": "返回 {output} {shape}",
  "teach.call.result": "y_pred 就是最外层调用的返回值，形状 {shape}",
  "teach.reg.title": "parameters() 是怎么找到这些参数的",
  "teach.reg.intro":
    "把 Module 或 Parameter 赋值给属性时，会经过 Module.__setattr__，由它登记到注册表里：子模块进 _modules，参数进 _parameters。",
  "teach.reg.child": "第 {line} 行：self.{name} = … → _modules['{name}']",
  "teach.reg.inside":
    "在 nn.{cls}.__init__ 内部：self.{local} = Parameter(…) → _parameters['{local}']",
  "teach.reg.none": "自身没有参数",
  "teach.reg.walk":
    "model.parameters() 按顺序遍历各个模块（先是模块自己的 _parameters，再是子模块的），依次给出：",
  "teach.reg.match": "与服务器从 model.parameters() 读到的顺序一致 ✓",
  "teach.reg.mismatch": "服务器读到的顺序不同：{order}",
  "teach.reg.toOptimizer": "优化器拿到的就是这些对象：optimizer.param_groups[0]['params']。",
  "teach.reg.frozen": "requires_grad=False：仍会被列出，但不会得到 .grad",

  "teach.math.loss": "损失（{criterion}）",
  "teach.math.lossPending": "本次迭代执行完损失那一行后出现。",
  "teach.math.lossSkipped":
    "本次迭代已经执行过损失那一行，但没有记录细节（整次迭代前进或快速播放会跳过）。逐阶段单步就能看到这个公式。",
  "teach.math.lossCheck":
    "torch（float32）：{torch}；对 torch 的 float32 各项求精确平均：{exact}。",
  "teach.math.lossSame": "舍入到 float32 后是同一个数 ✓",
  "teach.math.lossDiffers":
    "两者相差 {ulps} 个 float32 最小单位：torch 按自己的顺序用 float32 累加，每次加法都会舍入。",
  "teach.math.grad": "∂loss/∂ŷ：backward() 的起点",
  "teach.math.gradPending": "本次迭代执行完 loss.backward() 后出现。",
  "teach.math.gradSkipped":
    "本次迭代已经执行过 loss.backward()，但没有记录细节（整次迭代前进或快速播放会跳过）。逐阶段单步就能看到这个公式。",
  "teach.math.gradEmulated":
    "这里按 torch 自己的 float32 步骤重算：显示的 {n} 个值中有 {same} 个与 torch 传出的逐位相同 ✓",
  "teach.math.gradEmulatedDiffers":
    "这里按 torch 自己的 float32 步骤重算：显示的 {n} 个值中有 {same} 个逐位相同，其余的最多相差 {ulps} 个 float32 最小单位。",
  "teach.math.gradApprox":
    "这里用双精度计算：与 torch 传出的值相差不超过 {ulps} 个 float32 最小单位（torch 的 log-softmax 中间会舍入到 float32）。",
  "teach.math.chain": "链式法则：传到 {module} 的参数",
  "teach.math.chainCheck": "精确求和：{exact}；torch（float32，在矩阵乘法内部求和）：{torch}。",
  "teach.math.chainSame": "是同一个 float32 ✓",
  "teach.math.chainDiffers": "相差 {ulps} 个 float32 最小单位：float32 求和时每次加法都会舍入。",
  "teach.math.chainMore":
    "更前面的层也用同样的方式得到梯度：计算图里的每个节点把收到的梯度乘以自己的局部导数，再往下传。",
  "teach.math.chainNone": "链式法则只对输出来自 nn.Linear 的模型逐项写出。",
  "teach.math.accumulated":
    "zero_grad() 被跳过了，所以 .grad = 原来的 .grad + 这一项求和 = {grad}。",
  "teach.math.update": "更新：optimizer.step()（{cls}）",
  "teach.math.updatePending": "执行 optimizer.step() 之后出现。",
  "teach.math.updateOf": "第 {iteration} 次迭代",
  "teach.math.param": "参数",
  "teach.math.element": "它的第 {element} 个元素",
  "teach.math.torch": "torch（float32）：{value}",
  "teach.math.replaySame":
    "服务器用 step() 所用的同一组内核，在副本上重放了 optimizer.step()：{value}，与 step() 逐位相同 ✓",
  "teach.math.replayDiffers":
    "服务器在副本上重放了 optimizer.step()：{value}，与 step() 的结果并非逐位相同（这个优化器的内核舍入方式不同）。",
  "teach.math.replayNone": "服务器无法逐项重放这个优化器的 step()，所以这里只显示 torch 的结果。",
  "teach.math.exact": "用 torch 的 float32 输入做精确运算：{value}",
  "teach.math.decimal": "用上面显示的数字做十进制运算：{value}",
  "teach.math.whyShown":
    "十进制运算的结果与 torch 不同，是因为上面显示的数字是四舍五入过的（{rounding}），而 torch 用的是 float32 值的全部位。",
  "teach.math.roundDecimals": "保留 {digits} 位小数",
  "teach.math.roundSignificant": "写成 ×10ⁿ 的形式，保留 {digits} 位有效数字",
  "teach.math.roundMixed": "一般保留 {digits} 位小数；写成 ×10ⁿ 的数保留 {digits} 位有效数字",
  "teach.math.whyFloat32":
    "即使用 torch 自己的输入做精确运算，结果也会与它稍有差别：float32 只有大约 7 位有效数字，torch 每做一次运算都把结果舍入到最近的 float32。",
  "teach.math.whySame":
    "用 torch 自己的输入做精确运算，再舍入一次到 float32，就得到 torch 的结果：两者只差最后这一次舍入。",
  "teach.math.priorInitial":
    "这是该参数的第一步：优化器的状态从这里开始（动量缓冲 = g；Adam 的 m 和 v 从 0 开始）。",
  "teach.math.priorState": "这一步之前的状态，就是 step() 开始时 optimizer.state 中保存的状态。",
  "teach.math.stateAfter": "step() 之后的 optimizer.state['{key}']：{value}",
  "teach.math.notes": "笔记中的例子",
  "teach.math.notesSgd": "SGD：weight 1.5，梯度 −0.8，lr 0.01 → 1.5 − 0.01 × (−0.8) = 1.508。",
  "teach.math.notesMse":
    "[2, 4, 6] 相对 [1.8, 4.2, 5.5] 的 MSE：差值 [0.2, −0.2, 0.5]，平方 [0.04, 0.04, 0.25]，平均 0.11。",
  "teach.math.loading": "正在加载公式排版…",

  "teach.refs.intro":
    "{a} 和 {b} 是同一个 Parameter 的两个名字。id() 是对象的身份，data_ptr() 是它数据所在的地址，_version 记录它被原地修改的次数。",
  "teach.refs.param": "参数",
  "teach.refs.object": "Parameter 对象",
  "teach.refs.names": "名字",
  "teach.refs.same": "是同一个对象（is）✓",
  "teach.refs.notSame": "不是同一个对象！",
  "teach.refs.value": "值",
  "teach.refs.waiting": "执行 optimizer.step()，看看它对这个对象做了什么。",
  "teach.refs.verdict":
    "step() 之后：id 相同，data_ptr 相同，_version 从 {before} 变成 {after}。数值是通过引用原地修改的：没有产生新的张量，模型能看到新值，因为它们本来就是同一个对象。",
  "teach.refs.sinceStart":
    "id() 和 data_ptr() 仍然是运行开始时的值（都在每次 step() 之前读取）：这个对象从未被替换。",
  // 字符语言模型面板（charlm，以及会话带 language 的任何运行）。
  "loss.uniform": "ln(字表大小) = {value}：平均乱猜的损失",
  "layers.tab": "各层",
  "layers.wait": "运行 optimizer.step() 后，这里显示每个参数更新后的状况。",
  "layers.intro":
    "最近一次 step() 之后，每个参数的数值与梯度的直方图、梯度的范数，以及这一步相对它自身大小移动了多少。",
  "layers.param": "参数",
  "layers.values": "数值",
  "layers.grads": "梯度",
  "layers.overTime": "每步的 ‖Δw‖/‖w‖（对数轴；绿带为 1e-4 到 1e-2）",
  "layers.exploding": "梯度爆炸",
  "layers.vanishing": "梯度消失",
  "layers.thresholds":
    "梯度不是有限数，或一步让权重移动超过其范数的 10%，标为爆炸；移动不到百万分之一，标为消失。每步约 1e-3 是常见的健康节奏。",
  "charlm.title": "字符模型：本次迭代",
  "charlm.batch": "这一批数据里的字符",
  "charlm.batchNote": "上一行是输入的窗口，下一行是每个字符之后真正出现的字符，也就是目标。",
  "charlm.waitForward": "先运行前向传播，才能看到这一批。",
  "charlm.softmax": "某一位置上的 softmax 与交叉熵",
  "charlm.positionLine": "位置 {position}：目标「{char}」，p = {prob}，损失 = −ln p = {loss}",
  "charlm.others": "……其余 {n} 个字符分掉剩下的概率。",
  "charlm.waitLoss": "先计算损失，才能看到概率。",
  "charlm.rows": "嵌入表：被查到的行（蓝），.grad 不为零的行（红）",
  "charlm.rowsUsed": "共 {total} 行，用到 {used} 行",
  "charlm.gradSame": "{n} 行得到梯度：恰好就是用到的那些行",
  "charlm.gradOther": "{n} 行的梯度不为零",
  "charlm.sample": "模型现在写出的文字（第 {iteration} 次迭代后）",
  "charlm.uniform": "在 {n} 个字符上平均猜测，损失为 ln {n} = {value}。",
  // h15：学习者看到的说明（旧图、课程、数值框）
  "graph.stale": "这是第 {n} 次迭代的图，已不存在；下一次 forward() 会建新图。",
  "landscape.nonfinite":
    "参数已经变成 ∞ 或 NaN：路径停在它们最后一个有限的值上，那里可能远在图外。",
  "landscape.zoomed": "已缩小视图，让整条路径都在图内；等高线只画在 torch 计算过损失的区域。",
  "objects.gradSumTitle":
    "zero_grad() 被跳过了，所以 backward() 把本次迭代的梯度 g₁ 加到 .grad 里原有的 g₀ 上（AccumulateGrad 做的是 +=）。三个数都是 torch 给出的。",
  "loop.part.forward": "前向传播",
  "loop.part.backward": "反向传播与更新",
  "loop.part.repeat": "重复直到收敛",
};
