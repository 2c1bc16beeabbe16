Feature: Registration of a petition (登记)
  Every petition that reaches a petition bureau or a department is registered with its channel,
  its petitioners and its request (《信访工作条例》 arts. 17–23). Some petitions need more on file
  before they can be registered at all.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Rule: A petition is registered whatever channel it arrives by (art. 17)

    Scenario Outline: A housing grievance arrives at the district bureau by <channel>
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | <channel> |
      Then case A stands at "已登记待分流"
      And case A was received as <channel> (申诉求决)

      Examples:
        | channel  |
        | 来信     |
        | 来访     |
        | 网上信访 |
        | 电话     |
        | 传真     |

    Scenario: A department registers a petition brought to it directly (art. 23)
      When 伊州区住房和城乡建设局 registers case A on 2026-03-02
      Then case A stands at "已签收待受理"
      And case A is with 伊州区住房和城乡建设局

  Rule: A petition filed by an agent (代办) names its agent

    Scenario: The grid head files a petition on behalf of a resident
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 代办 |
        | 代办人   | 何平 |
      Then case A names 何平 as the agent who filed it

    Scenario: An agent-filed petition that does not name its agent is refused
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 代办 |
      Then the step is refused with "agent.required"
      And nothing was recorded

  Rule: A collective visit has five or more people and elects at most five representatives (art. 20)

    Scenario: Eight residents visit together and send three representatives
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 来访             |
        | 信访人   | 张三、李四、王五 |
        | 人数     | 8                |
        | 代表     | 张三、李四、王五 |
      Then case A is a collective visit of 8 people with representatives 张三、李四、王五

    Scenario: Four visitors cannot be registered as a collective visit
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 来访 |
        | 人数     | 4    |
        | 集体访   | 是   |
      Then the step is refused with "collective.too_few"
      And nothing was recorded

    Scenario: A group that sends six representatives is refused
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 来访                                 |
        | 人数     | 20                                   |
        | 代表     | 张三、李四、王五、赵六、孙七、周八 |
      Then the step is refused with "representatives.too_many"
      And nothing was recorded

  Rule: An accusation names whom it accuses; only an accusation may be anonymous (art. 30)

    Scenario: An anonymous letter accuses a named official
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 来信     |
        | 事项类型 | 检举控告 |
        | 信访人   | 匿名     |
        | 被反映人 | 王某     |
      Then case A is an anonymous accusation against 王某

    Scenario: An accusation that names nobody is refused
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 来信     |
        | 事项类型 | 检举控告 |
      Then the step is refused with "accused.required"
      And nothing was recorded

    Scenario: An anonymous grievance is refused
      When 伊州区信访局 registers case A on 2026-03-02 with:
        | 信访形式 | 来信 |
        | 信访人   | 匿名 |
      Then the step is refused with "petitioners.required"
      And nothing was recorded
